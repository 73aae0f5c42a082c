"""Pages: start a plan, watch it run, review its proposals, unfilled seats and alternatives."""

from collections import defaultdict
from datetime import date
from functools import partial

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import ValidationError
from sqlmodel import Session

from schemas.enums import CandidatePool, PlanStatus, Readiness, ReviewStatus
from schemas.ids import SeatId
from schemas.planning import PlanCreate, Review, SeatPin, UnfilledPublic
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
from service.web.explain import code_names, failure, plain, plain_reasons
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
# What the score chips and the total mean, in the planners' words (docs/solver.md, "Objectives, in strict order").
SCORE_LEGEND = [
    (
        "Priority",
        "the seat is filled, counted by its request's priority (1 is the most important): one seat of a more "
        "important request outweighs every less important seat together, which is why the points are large",
    ),
    ("Fit", "skills, languages and grade above what the seat asks for, and desired skills held (more is better)"),
    (
        "Right source",
        "standing capacity or a rapid-deployment offer on an urgent seat; the roster, a secondee or an offer on a "
        "long one",
    ),
    ("Kept", "the same candidate as the previous plan proposed for this seat"),
    ("Total", "the plan's score for this candidate in this seat: the sum of the points above"),
]


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
def list_plans(
    request: Request, session: SessionDep, viewer: StaffViewer, from_: int | None = Query(None, alias="from")
):
    """Recent plans, and (for planners) the form that starts one: with ``from``, that plan's planning date and
    settings filled in."""
    defaults = {"today": date.today().isoformat(), "time_limit": 10, "min_readiness": "assessed", "candidates": "both"}
    if from_ is not None:
        defaults |= _settings_of(repo.get(session, from_)) | {"from": from_}
    return _start_form(request, session, viewer, defaults, {})


def _settings_of(plan) -> dict:
    """A plan's planning date, horizon and settings as the start form's values."""
    kept = ("today", "time_limit", "min_readiness", "candidates", "provisional")
    values = {k: v for k, v in plan.parameters.items() if k in kept and v not in (None, False)}
    horizon = {"horizon_start": plan.horizon_start, "horizon_end": plan.horizon_end}
    return values | {k: v.isoformat() for k, v in horizon.items() if v}


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
    stored = repo.get(session, plan_id)
    plan = repo.to_public(stored)
    context = {"plan": plan, "title": f"Plan {plan.id}", "finished": plan.status in jobs.FINISHED}
    context["pools"] = {p.value: words for p, words in POOL_CHOICES.items()}
    if plan.status == PlanStatus.succeeded:
        empty = repo.unfilled(session, stored)
        context |= _rows_context(session, stored, viewer, empty) | _unfilled_context(session, stored, empty)
    elif plan.error:
        context["failure"] = failure(session, plan.error)
    return render.page(request, "plan.html", viewer, status_code=status_code, **context, **extra)


def _rows_context(session: Session, plan, viewer, empty: list[UnfilledPublic] | None = None) -> dict:
    """What the proposed assignments' rows need (the whole table, or one row answered in place); with the empty
    seats, their requests too."""
    assignments = repo.assignments(session, plan, [])
    by_request = defaultdict(list)
    for a in assignments:
        by_request[a.request_id].append(a)
    ids = set(by_request) | {u.request_id for u in empty or []}
    requests = repo.requests_by_id(session, ids)
    made = {a.deployment_id for a in assignments if a.deployment_id}
    planned = repo.deployment_statuses(session, made)
    declined = deployments.declined_seats(session, plan_id=stored_id(plan.id))
    planner = viewer.principal.role == "planner"
    return {
        "assignments": assignments,
        "planner": planner,
        "deciding": planner and not plan.superseded_by,
        "undoable": {
            a.id
            for a in assignments
            if a.review in (ReviewStatus.rejected, ReviewStatus.pinned) or planned.get(a.deployment_id or 0) in UNDOABLE
        },
        "consent_due": deployments.consent_due(session, deployment_ids=made),
        "declined": declined,
        "declined_ids": {d.deployment_id for d in declined},
        "groups": sorted(by_request.items(), key=lambda kv: (requests[kv[0]].priority, kv[0])),
        "requests": requests,
        "places": requests_repo.places(session, ids),
        "states": requests_repo.state_names(session),
        "open_count": sum(a.review in (ReviewStatus.proposed, ReviewStatus.pinned) for a in assignments),
        "legend": SCORE_LEGEND,
    }


def _unfilled_context(session: Session, plan, empty: list[UnfilledPublic]) -> dict:
    """The empty seats, a card per position, their reasons in plain words."""
    unfilled = defaultdict(list)
    for u in empty:
        unfilled[u.position_id].append(u)
    notes = list((plan.summary or {}).get("messages") or [])
    names = code_names(session, [u.reason for u in empty] + _competitor_texts(unfilled) + notes)
    return {
        "unfilled": list(unfilled.values()),
        "reasons": partial(plain_reasons, names=names),
        "plain": partial(plain, names=names),
    }


def _competitor_texts(unfilled: dict) -> list[str]:
    return [
        f"{c.get('supplier_id')} {c.get('taken_by')} {c.get('why')}"
        for seats in unfilled.values()
        for u in seats
        for c in u.detail.get("competitors") or []
    ]


def _wants_row(request: Request) -> bool:
    """static/plan.js asks for the decided rows alone (``X-Fragment: row``), to replace them in place."""
    return request.headers.get("x-fragment") == "row"


@router.post("/{plan_id}/review")
def review_plan(request: Request, session: SessionDep, viewer: PlannerViewer, form: PostedForm, plan_id: int):
    """One decision (a row's button) or one decision for every ticked row, all or nothing as the API; asked by
    plan.js, the decided rows alone (and the notice), else the page again."""
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
        refusal = _refusal(exc, ids if decision == "approve" else [], reason)
        if _wants_row(request) and not repo.get(session, plan_id).superseded_by:
            return _rows(request, session, viewer, plan_id, ids, _status(exc), refusal=refusal | {"row": ids[0]})
        return _plan_page(request, session, viewer, plan_id, status_code=_status(exc), refusal=refusal)
    notice = _decided(session, decision, result)
    if _wants_row(request):
        changed = result.approved + result.rejected + result.pinned + result.undone
        return _rows(request, session, viewer, plan_id, changed or ids, 200, notice=notice)
    return render.redirect(f"/ui/plans/{plan_id}", notice)


def _decided(session: Session, decision: str, result) -> str:
    """What a decision did: "2 assignments approved (2 deployments, 1 awaiting consent)."."""
    done = len(result.approved) + len(result.rejected) + len(result.pinned) + len(result.undone)
    past = {"approve": "approved", "reject": "rejected", "pin": "pinned", "undo": "back to proposed"}[decision]
    made, verb = (result.deployments, "planned") if result.deployments else (result.cancelled, "cancelled")
    extra = f" ({render.plural(len(made), 'deployment')} {verb})" if made else ""
    if asked := len(deployments.consent_due(session, deployment_ids=set(result.deployments))):
        extra = f" ({render.plural(len(made), 'deployment')}, {asked} awaiting consent)"
    return f"{render.plural(done, 'assignment')} {past}{extra}."


def _rows(request: Request, session: Session, viewer, plan_id: int, ids: list[int], status: int, **extra):
    """The rows of these assignments as the page draws them, the plan's open count and the notice, as JSON."""
    context = _rows_context(session, repo.get(session, plan_id), viewer)
    template = render.templates.get_template("_plan_row.html")
    shown = {"request": request, "plan": repo.to_public(repo.get(session, plan_id)), "viewer": viewer, **context}
    rows = {
        str(a.id): template.render(shown | {"a": a, "refusal": extra.get("refusal")}).strip()
        for a in context["assignments"]
        if a.id in ids
    }
    left = render.plural(context["open_count"], "proposal")
    return JSONResponse(
        {"rows": rows, "open": f"{left} still to decide.", "notice": extra.get("notice")}, status_code=status
    )


def _status(exc: Exception) -> int:
    return exc.status_code if isinstance(exc, RosterError) else 422


def _refusal(exc: Exception, ids: list[int], reason) -> dict:
    """The refusal shown on top of the page (or in its row): if a reason can override every problem of the refused
    approvals, a form to approve the same assignments anyway with one."""
    refused = getattr(exc, "more", {}).get("refused", [])
    overridable = bool(refused) and all(p["breakable"] for r in refused for p in r["problems"])
    message = forms.summary(exc)
    if isinstance(exc, ValidationError) and any(e["loc"][:1] == ("override_reason",) for e in exc.errors()):
        message, overridable = "Write a reason of 10 to 1000 characters to approve anyway.", True
    return {
        "message": message,
        "ids": ids if overridable else [],
        "names": [r["supplier"]["name"] for r in refused],
        "reason": reason or "",
    }


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
    """The ranked alternatives for one seat, its holder or why it is empty, every empty seat of the position, and
    one click to swap."""
    plan = repo.get(session, plan_id)
    options = service.alternatives(session, plan_id=plan_id, position_id=position_id, seat=seat, k=10)
    empty = [u for u in repo.unfilled(session, plan) if u.position_id == position_id]
    why = [u for u in empty if u.seat == options.seat]
    position = repo.position(session, position_id)
    texts = [u.reason for u in why] + [" ".join(o.displaces) for o in options.data]
    texts += [
        f"{c.get('supplier_id')} {c.get('taken_by')} {c.get('why')}"
        for u in why
        for c in u.detail.get("competitors") or []
    ]
    names = code_names(session, texts)
    asked = repo.capacity_request(session, position.request_id)
    return render.page(
        request,
        "alternatives.html",
        viewer,
        title=f"Alternatives for {position.title}, seat {options.seat}",
        plan=repo.to_public(plan),
        options=options,
        unfilled=why[0] if why else None,
        empty_seats=[u.seat for u in empty],
        current=repo.holder(session, plan, position_id, options.seat),
        position=position,
        request_row=asked,
        place=requests_repo.places(session, [position.request_id]).get(position.request_id, ""),
        states=requests_repo.state_names(session),
        names=names,
        priority=asked.priority if asked else None,
        legend=SCORE_LEGEND,
        reasons=partial(plain_reasons, names=names),
        plain=partial(plain, names=names),
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
    name = code_names(session, [supplier, str(SeatId(position_id, seat))])
    return render.redirect(
        f"/ui/plans/{child.id}",
        f"{name[supplier]} pinned to {name[str(SeatId(position_id, seat))]}; re-solving as plan {child.id}.",
    )
