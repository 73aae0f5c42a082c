"""Pages: start a plan, watch it run, review its proposals, unfilled seats and alternatives."""

from collections import defaultdict
from datetime import date

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse
from pydantic import ValidationError
from sqlmodel import Session

from schemas.enums import CandidatePool, PlanStatus, Readiness, ReviewStatus
from schemas.planning import PlanCreate, Review, SeatPin
from service.deployments import service as deployments
from service.planning import jobs, service
from service.planning import repository as repo
from service.planning.undo import UNDOABLE
from service.platform.deps import SessionDep
from service.platform.errors import RosterError
from service.platform.tables import stored_id
from service.platform.unit import Unit
from service.requests import repository as requests_repo
from service.web import forms, render
from service.web.explain import plain_reasons
from service.web.session import PlannerViewer, PostedForm, StaffViewer

router = APIRouter(prefix="/ui/plans")
READINESS_CHOICES = {
    Readiness.pledged: "every offer (pledged and up)",
    Readiness.assessed: "assessed and up",
    Readiness.ready: "ready and up",
    Readiness.rapid_deployment: "rapid deployment only",
}
POOL_CHOICES = {
    CandidatePool.both: "nominees where a call is open, else the roster",
    CandidatePool.nominations: "nominations only",
    CandidatePool.roster: "the roster only (calls ignored)",
}
DECISIONS = ("approve", "reject", "pin", "undo")


def _start_form(request: Request, session: Session, viewer, values: dict, errors: dict, status_code: int = 200):
    plans, count = repo.list_plans(session, 20, 0)
    return render.page(
        request,
        "plans.html",
        viewer,
        status_code=status_code,
        title="Plans",
        plans=plans,
        count=count,
        readiness=[(r.value, READINESS_CHOICES[r]) for r in Readiness],
        pools=[(p.value, words) for p, words in POOL_CHOICES.items()],
        values=values,
        errors=errors,
    )


@router.get("")
def list_plans(request: Request, session: SessionDep, viewer: StaffViewer):
    """Recent plans, and (for planners) the form that starts one."""
    defaults = {"today": date.today().isoformat(), "time_limit": 10, "min_readiness": "assessed", "candidates": "both"}
    return _start_form(request, session, viewer, defaults, {})


@router.post("")
def start_plan(request: Request, session: SessionDep, viewer: PlannerViewer, form: PostedForm):
    """Queue a plan as POST /plans does, then watch it."""
    names = ("today", "time_limit", "horizon_start", "horizon_end", "min_readiness", "candidates", "provisional")
    values = {k: str(form.get(k, "")).strip() for k in names}
    try:
        given: dict = {k: v for k, v in values.items() if v}
        body = PlanCreate.model_validate(given | {"provisional": bool(values["provisional"])})
        plan = service.create_plan(Unit(session, viewer.principal), body=body)
    except (ValidationError, RosterError) as exc:
        return _start_form(request, session, viewer, values, forms.errors_of(exc), 422)
    return render.redirect(f"/ui/plans/{plan.id}")


@router.get("/{plan_id}/events")
async def events(request: Request, viewer: StaffViewer, plan_id: int):
    """The plan's progress as Server-Sent Events (the API's stream, authenticated by the session cookie)."""
    stream = await service.plan_events(request.app.state.engine, plan_id=plan_id, disconnected=request.is_disconnected)
    return StreamingResponse(
        stream, media_type="text/event-stream", headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    )


@router.get("/{plan_id}")
def show_plan(request: Request, session: SessionDep, viewer: StaffViewer, plan_id: int):
    """A running plan's progress, or a finished plan's review."""
    return _plan_page(request, session, viewer, plan_id)


def _plan_page(request: Request, session: Session, viewer, plan_id: int, status_code: int = 200, **extra):
    plan = repo.to_public(repo.get(session, plan_id))
    context = {"plan": plan, "title": f"Plan {plan.id}", "finished": plan.status in jobs.FINISHED}
    context["pools"] = {p.value: words for p, words in POOL_CHOICES.items()}
    if plan.status == PlanStatus.succeeded:
        context |= _review_context(session, repo.get(session, plan_id))
    return render.page(request, "plan.html", viewer, status_code=status_code, **context, **extra)


def _review_context(session: Session, plan) -> dict:
    assignments = repo.assignments(session, plan, [])
    by_request = defaultdict(list)
    for a in assignments:
        by_request[a.request_id].append(a)
    ids = set(by_request) | {u.request_id for u in repo.unfilled(session, plan)}
    requests = repo.requests_by_id(session, ids)
    unfilled = defaultdict(list)
    for u in repo.unfilled(session, plan):
        unfilled[u.position_id].append(u)
    open_count = sum(a.review in (ReviewStatus.proposed, ReviewStatus.pinned) for a in assignments)
    made = {a.deployment_id for a in assignments if a.deployment_id}
    planned = repo.deployment_statuses(session, made)
    declined = deployments.declined_seats(session, plan_id=stored_id(plan.id))
    return {
        "undoable": {
            a.id
            for a in assignments
            if a.review == ReviewStatus.rejected or planned.get(a.deployment_id or 0) in UNDOABLE
        },
        "consent_due": deployments.consent_due(session, deployment_ids=made),
        "declined": declined,
        "declined_ids": {d.deployment_id for d in declined},
        "groups": sorted(by_request.items(), key=lambda kv: (requests[kv[0]].priority, kv[0])),
        "requests": requests,
        "places": requests_repo.places(session, ids),
        "unfilled": list(unfilled.values()),
        "open_count": open_count,
        "reasons": plain_reasons,
        "score_terms": sorted({k for a in assignments for k in a.score}),
    }


@router.post("/{plan_id}/review")
def review_plan(request: Request, session: SessionDep, viewer: PlannerViewer, form: PostedForm, plan_id: int):
    """One decision (a row's button) or one decision for every ticked row, all or nothing as the API."""
    one = str(form.get("one", ""))
    if one:
        decision, _, assignment = one.partition(":")
        ids = [int(assignment)] if assignment.isdigit() else []
    else:
        decision = str(form.get("bulk", ""))
        ids = [int(v) for v in form.getlist("selected") if str(v).isdigit()]
    if decision not in DECISIONS:
        return render.redirect(f"/ui/plans/{plan_id}", problem="Choose approve, reject, pin or undo.")
    if not ids:
        return render.redirect(f"/ui/plans/{plan_id}", problem="Tick at least one assignment first.")
    reason = str(form.get("override_reason", "")).strip() or None
    try:
        repo.get(session, plan_id)  # first: a missing plan is told before a malformed review
        body = Review.model_validate({decision: ids, "override_reason": reason})
        result = service.review_plan(Unit(session, viewer.principal), plan_id=plan_id, body=body)
    except (ValidationError, RosterError) as exc:
        return _refused(request, session, viewer, plan_id, exc, ids if decision == "approve" else [], reason)
    done = len(result.approved) + len(result.rejected) + len(result.pinned) + len(result.undone)
    past = {"approve": "approved", "reject": "rejected", "pin": "pinned", "undo": "back to proposed"}[decision]
    made, verb = (result.deployments, "planned") if result.deployments else (result.cancelled, "cancelled")
    extra = f" ({len(made)} deployment{'s' if len(made) != 1 else ''} {verb})" if made else ""
    if asked := len(deployments.consent_due(session, deployment_ids=set(result.deployments))):
        extra = f" ({len(made)} deployment{'s' if len(made) != 1 else ''}, {asked} awaiting consent)"
    return render.redirect(f"/ui/plans/{plan_id}", f"{done} assignment{'s' if done != 1 else ''} {past}{extra}.")


def _refused(request: Request, session: Session, viewer, plan_id: int, exc: Exception, ids: list[int], reason):
    """The plan page again, the refusal on top as an error; if a reason can override every problem of the refused
    approvals, a form to approve the same assignments anyway with one."""
    refused = getattr(exc, "more", {}).get("refused", [])
    overridable = bool(refused) and all(p["breakable"] for r in refused for p in r["problems"])
    message = forms.summary(exc)
    if isinstance(exc, ValidationError) and any(e["loc"][:1] == ("override_reason",) for e in exc.errors()):
        message, overridable = "Write a reason of 10 to 1000 characters to approve anyway.", True
    refusal = {
        "message": message,
        "ids": ids if overridable else [],
        "names": [r["supplier"]["name"] for r in refused],
        "reason": reason or "",
    }
    status = exc.status_code if isinstance(exc, RosterError) else 422
    return _plan_page(request, session, viewer, plan_id, status_code=status, refusal=refusal)


@router.post("/{plan_id}/resolve")
def resolve(request: Request, session: SessionDep, viewer: PlannerViewer, form: PostedForm, plan_id: int):
    """Re-solve the plan with its own scope and settings, as POST /plans/{id}/resolve (a declined seat is filled
    again; the declined pair is never proposed), then watch the new plan."""
    repo.get(session, plan_id)  # 404 for a plan that is not there
    try:
        child = service.resolve_plan(Unit(session, viewer.principal), plan_id=plan_id)
    except RosterError as exc:
        return render.redirect(f"/ui/plans/{plan_id}", problem="Nothing changed: " + forms.summary(exc))
    return render.redirect(f"/ui/plans/{child.id}", f"Re-solving plan {plan_id} as plan {child.id}.")


@router.get("/{plan_id}/positions/{position_id}/alternatives")
def alternatives(
    request: Request, session: SessionDep, viewer: StaffViewer, plan_id: int, position_id: int, seat: int | None = None
):
    """The ranked alternatives for one seat, why it is empty (if it is), and one click to swap."""
    plan = repo.get(session, plan_id)
    options = service.alternatives(session, plan_id=plan_id, position_id=position_id, seat=seat, k=10)
    why = [u for u in repo.unfilled(session, plan) if u.position_id == position_id and u.seat == options.seat]
    holder = repo.holder(session, plan, position_id, options.seat)
    position = repo.position(session, position_id)
    return render.page(
        request,
        "alternatives.html",
        viewer,
        title=f"Alternatives for position {position_id}",
        plan=repo.to_public(plan),
        options=options,
        unfilled=why[0] if why else None,
        current=holder,
        position=position,
        request_row=repo.capacity_request(session, position.request_id),
        place=requests_repo.places(session, [position.request_id]).get(position.request_id, ""),
        reasons=plain_reasons,
    )


@router.post("/{plan_id}/positions/{position_id}/swap")
def swap(
    request: Request, session: SessionDep, viewer: PlannerViewer, form: PostedForm, plan_id: int, position_id: int
):
    """Swap in an alternative: re-solve with that supplier pinned to this seat; the rest moves as little as it can."""
    repo.get(session, plan_id)  # 404 for a plan that is not there, before the form is read
    seat = int(form.get("seat", "0")) if str(form.get("seat", "")).isdigit() else 0
    supplier = str(form.get("supplier", ""))
    try:
        pin = SeatPin(position_id=position_id, seat=seat, supplier=supplier)
        child = service.swap_in(Unit(session, viewer.principal), plan_id=plan_id, pin=pin)
    except (ValidationError, RosterError) as exc:
        return render.redirect(
            f"/ui/plans/{plan_id}/positions/{position_id}/alternatives?seat={seat}",
            problem="Nothing changed: " + forms.summary(exc),
        )
    return render.redirect(
        f"/ui/plans/{child.id}",
        f"{supplier} pinned to seat {seat} of position {position_id}; re-solving as plan {child.id}.",
    )
