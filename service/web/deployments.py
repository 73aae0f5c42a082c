"""Page: deployments at risk first (why, and one click to find a replacement), then a Gantt chart by person and
by mission, with the end-of-mission reminders."""

from datetime import date, timedelta

from fastapi import APIRouter, Request

from schemas.enums import DeploymentStatus
from service.deployments import service
from service.planning import service as planning
from service.platform.deps import SessionDep
from service.platform.errors import RosterError
from service.platform.unit import Unit
from service.requests import repository as requests_repo
from service.web import forms, render
from service.web.session import CurrentViewer, PlannerViewer, PostedForm

router = APIRouter(prefix="/ui/deployments")
MAX_ROWS = 2000
COLOURS = {
    "awaiting_consent": "#8a6d00",
    "planned": "#d08c00",
    "deployed": "#1e7d3a",
    "completed": "#5b6775",
    "cancelled": "#b3261e",
    "declined": "#7d1a13",
}


def _chart_rows(data, places: dict[int, str]) -> list[dict]:
    return [
        {
            "id": d.id,
            "person": _who(d),
            "mission": places.get(d.request_id, d.mission or ""),
            "start": d.start_date.isoformat(),
            "end": (d.end_date + timedelta(days=1)).isoformat(),
            "status": d.status.value,
            "state": d.contributing_state or "",
        }
        for d in data
    ]


def _who(d) -> str:
    """A person, or one slot of an offer (a team's slots are separate rows)."""
    if d.supplier.kind == "offer":
        return f"{d.supplier.name} ({d.supplier.id}, slot {d.slot})"
    return f"{d.supplier.name} ({d.supplier.id})"


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
    return render.page(
        request,
        "deployments.html",
        viewer,
        status_code=status_code,
        charts=True,
        title="Deployments",
        problem=problem,
        deployments=data,
        at_risk=at_risk,
        count=count,
        ending=ending,
        start=start,
        days=days,
        chart={"rows": _chart_rows(data, places), "colours": COLOURS},
        places=places,
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
