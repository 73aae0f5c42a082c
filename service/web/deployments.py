"""Page: deployments at risk first (why, and one click to find a replacement), then a Gantt chart by person and
by mission, with the end-of-mission reminders."""

import re
from datetime import date, timedelta
from typing import Literal

from fastapi import APIRouter, Request
from pydantic import ValidationError

from schemas.enums import DEPLOYMENT_TRANSITIONS, FREED_DEPLOYMENT, DeploymentStatus, Role
from schemas.planning import DeploymentUpdate
from service.deployments import consent, service
from service.deployments.repository import STATE_DECIDES
from service.planning import service as planning
from service.platform.deps import SessionDep
from service.platform.errors import RosterError
from service.platform.unit import Unit
from service.requests import repository as requests_repo
from service.web import fields, forms, render
from service.web.session import CurrentViewer, PlannerViewer, PostedForm

router = APIRouter(prefix="/ui/deployments")
FINAL = (DeploymentStatus.cancelled, DeploymentStatus.completed)  # asked again before they are done
ACTIONS = {  # a next status -> its button's words
    DeploymentStatus.planned: "Mark planned",
    DeploymentStatus.deployed: "Mark deployed",
    DeploymentStatus.completed: "Complete…",
    DeploymentStatus.cancelled: "Cancel…",
    DeploymentStatus.declined: "Mark declined",
}
MAX_ROWS = 2000
COLOURS = {
    "awaiting_consent": "#6a4c93",  # violet: apart from planned's amber at a glance
    "planned": "#d08c00",
    "deployed": "#1e7d3a",
    "completed": "#5b6775",
    "cancelled": "#b3261e",
    "declined": "#7d1a13",
}


def _chart_rows(data, places: dict[int, str], titles: dict[int, str]) -> list[dict]:
    """A bar per deployment, on a line of its own in each view: by person (a team's slots apart) and by mission
    then person; a person's cancelled or declined bar that overlaps another goes on a second line of theirs."""
    bars = [_bar(d, places.get(d.request_id, d.mission or ""), titles) for d in data]
    for view in ("person", "mission"):
        _lines(bars, view)
    return bars


def _bar(d, mission: str, titles: dict[int, str]) -> dict:
    supplier, who = f"{d.supplier.id}/{d.slot}", _who(d)
    return {
        "id": d.id,
        "who": who,
        "mission": mission,
        "seat": f"{titles.get(d.position_id, 'position')}, seat {d.seat}",
        "supplier": d.supplier.id,
        "start": d.start_date.isoformat(),
        "end": (d.end_date + timedelta(days=1)).isoformat(),
        "status": d.status.value,
        "status_words": render.words(d.status.value),
        "state": d.contributing_state or "",
        "person_line": supplier,
        "person_label": who,
        "mission_line": f"{mission}/{supplier}",
        "mission_label": f"{mission} · {who}",
    }


def _lines(bars: list[dict], view: str) -> None:
    """A bar that overlaps another of its line in time moves to the next line of the same label; live bars are
    placed first, so a cancelled or declined one is the bar that moves."""
    taken: dict[tuple[str, int], list[tuple[str, str]]] = {}
    for bar in sorted(bars, key=lambda b: (b["status"] in FREED_DEPLOYMENT, b["start"], b["id"])):
        base, line = bar[f"{view}_line"], 0
        while any(start < bar["end"] and bar["start"] < end for start, end in taken.get((base, line), [])):
            line += 1
        taken.setdefault((base, line), []).append((bar["start"], bar["end"]))
        if line:
            bar[f"{view}_line"] = f"{base}/{line + 1}"
            bar[f"{view}_label"] += f" · line {line + 1}"


def _who(d) -> str:
    """A person, or one slot of a team's offer (each slot a line of its own): names, never ids."""
    if d.supplier.kind == "offer":
        return f"{d.supplier.name}, slot {d.slot}"
    return d.supplier.name


def _next_statuses(d) -> list[DeploymentStatus]:
    """The statuses a planner may move this deployment to (a selection awaiting consent: the state answers, a
    planner may only cancel it)."""
    allowed = DEPLOYMENT_TRANSITIONS[d.status]
    if d.status == DeploymentStatus.awaiting_consent:
        allowed = allowed - set(STATE_DECIDES)
    return sorted(allowed, key=list(DeploymentStatus).index)


@router.get("")
def deployments(
    request: Request,
    session: SessionDep,
    viewer: CurrentViewer,
    mission: str | None = None,
    status: str | None = None,
    today: date | None = None,
):
    """The deployments at risk first, then every visible deployment on a timeline, and the live ones ending soon."""
    return _page(request, session, viewer, mission=mission, status=status, today=today)


def _page(request: Request, session, viewer, *, mission=None, status=None, today=None, problem=None, status_code=200):
    conditions = service.conditions(mission=mission or None, status=status if status in set(DeploymentStatus) else None)
    listed = service.list_deployments(
        session, principal=viewer.principal, conditions=conditions, limit=MAX_ROWS, offset=0
    )
    data, count = listed.data, listed.count
    at_risk = service.list_deployments(
        session, principal=viewer.principal, conditions=service.conditions(at_risk=True), limit=MAX_ROWS, offset=0
    ).data
    start = today or date.today()
    days = request.app.state.settings.reminder_days
    ending = service.ending_soon(
        session, principal=viewer.principal, start=start, within_days=days, limit=MAX_ROWS, offset=0
    ).data
    places = requests_repo.places(session, {d.request_id for d in [*data, *at_risk, *ending]})
    titles = consent.position_titles(session, {d.position_id for d in [*data, *at_risk]})
    return render.page(
        request,
        "deployments.html",
        viewer,
        status_code=status_code,
        charts=True,
        title="Deployments",
        **({"problem": problem} if problem else {}),  # else the one a redirect brought, if any
        deployments=data,
        at_risk=at_risk,
        count=count,
        ending=ending,
        start=start,
        days=days,
        chart={"rows": _chart_rows(data, places, titles), "colours": COLOURS},
        places=places,
        titles=titles,
        state_names=requests_repo.state_names(session),
        next_statuses={d.id: _next_statuses(d) for d in data} if viewer.principal.role == Role.planner else {},
        final=FINAL,
        actions=ACTIONS,
        export_query={k: v for k, v in {"mission": mission, "status": status}.items() if v},
        missions=sorted({d.mission for d in data if d.mission}),
        statuses=list(DeploymentStatus),
        filters={"mission": mission, "status": status, "today": today},
    )


@router.post("/{deployment_id}/replace")
def find_replacement(
    request: Request, session: SessionDep, viewer: PlannerViewer, form: PostedForm, deployment_id: int
):
    """Queue a plan that re-solves an at-risk deployment's seat (every other deployment kept), then watch it."""
    try:
        plan = planning.find_replacement(Unit(session, viewer.principal), deployment_id=deployment_id)
    except RosterError as exc:
        problem = f"Nothing changed: {forms.summary(exc)}"
        return _page(request, session, viewer, problem=problem, status_code=exc.status_code)
    return render.redirect(
        f"/ui/plans/{plan.id}",
        f"Finding a replacement for deployment {deployment_id} as plan {plan.id}: "
        "approving the proposal for its seat cancels that deployment.",
    )


@router.get("/{deployment_id}/status")
def confirm_status(
    request: Request,
    session: SessionDep,
    viewer: PlannerViewer,
    deployment_id: int,
    to: Literal[DeploymentStatus.cancelled, DeploymentStatus.completed] = DeploymentStatus.cancelled,
):
    """Ask before a final step (cancel, complete): it cannot be undone."""
    d = service.get_deployment(session, principal=viewer.principal, deployment_id=deployment_id)
    places = requests_repo.places(session, {d.request_id})
    seat = consent.position_titles(session, {d.position_id}).get(d.position_id, "the position")
    cancel = to == DeploymentStatus.cancelled
    return render.page(
        request,
        "confirm.html",
        viewer,
        title=f"{'Cancel' if cancel else 'Complete'} the deployment of {_who(d)}?",
        action=f"/ui/deployments/{deployment_id}/status?to={to.value}",
        version=d.version,
        back=f"/ui/deployments#deployment-{deployment_id}",
        lines=[
            f"{_who(d)} in {places.get(d.request_id, d.mission or '')}, {seat} (seat {d.seat}), "
            f"{d.start_date} to {d.end_date}: now {render.words(d.status.value)}.",
            "A cancelled deployment is final: the seat and the person's time are free again for the next plan."
            if cancel
            else "A completed deployment is final: it stays in the person's history.",
        ],
        confirm="Cancel the deployment" if cancel else "Complete the deployment",
        keep="Keep it as it is",
    )


@router.post("/{deployment_id}/status")
def change_status(
    request: Request,
    session: SessionDep,
    viewer: PlannerViewer,
    form: PostedForm,
    deployment_id: int,
    to: DeploymentStatus | None = None,
):
    """Move a deployment to its next status as PATCH /deployments/{id} does, by the same rules (stale: nothing)."""
    try:
        body = DeploymentUpdate.model_validate({"status": fields.text(form, "status") or to or ""})
        done = service.update_deployment(
            Unit(session, viewer.principal), deployment_id=deployment_id, body=body, if_match=forms.if_match(form)
        )
    except (ValidationError, RosterError) as exc:
        session.rollback()
        stale = isinstance(exc, RosterError) and exc.status_code == 412
        said = render.redirect(
            "/ui/deployments", problem="Status not changed: " + (fields.STALE if stale else _plain(exc))
        )
    else:
        said = render.redirect("/ui/deployments", f"{_who(done)}: {render.words(done.status.value)}.")
    said.headers["location"] += f"#deployment-{deployment_id}"  # back to its row
    return said


def _plain(exc: Exception) -> str:
    """The API's reason in the planners' words: statuses in words, no API addresses."""
    text = forms.plain(forms.summary(exc)) if isinstance(exc, RosterError) else "choose one of the buttons offered"
    for status in DeploymentStatus:
        text = re.sub(rf"\b{status.value}\b", render.words(status.value), text)
    return text.removeprefix("status: ")
