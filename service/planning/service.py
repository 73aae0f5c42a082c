"""Planning use cases: start, re-solve, cancel and review plans, and read their alternatives and progress."""

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from typing import Any

from fastapi.concurrency import run_in_threadpool
from sqlalchemy import Engine
from sqlmodel import Session

from schemas.enums import PlanStatus, RequestStatus, ReviewStatus
from schemas.ids import SeatId, SupplierId
from schemas.plan import Plan as SolverPlan
from schemas.planning import (
    AlternativePublic,
    AlternativesPublic,
    AssignmentPublic,
    PlanCreate,
    PlanPublic,
    Review,
    ReviewResult,
    SeatPin,
)
from service.deployments import repository as deployments
from service.deployments.repository import suppliers
from service.planning import jobs, scoring
from service.planning import repository as repo
from service.planning.kept import kept
from service.planning.review import apply as apply_review
from service.planning.superseding import refuse_if_replaced
from service.platform import wakeup
from service.platform.errors import Conflict, Invalid, NotFound
from service.platform.settings import get_settings
from service.platform.tables import Plan, utcnow
from service.platform.unit import Unit
from service.platform.usecase import use_case


def _parameters(body: PlanCreate) -> dict:
    stored: dict[str, Any] = {"time_limit": body.time_limit, "workers": body.workers, "seed": body.seed}
    for name in ("rest_days", "max_state_share"):
        if getattr(body, name) is not None:
            stored[name] = getattr(body, name)
    stored["min_readiness"] = body.min_readiness.value  # kept, so that approvals check what the plan used
    stored["candidates"], stored["provisional"] = body.candidates.value, body.provisional  # likewise
    if body.weights is not None:
        stored["weights"] = body.weights.model_dump()
    if body.gender_targets:
        stored["gender_targets"] = {str(k): v for k, v in body.gender_targets.items()}
    if body.today is not None:
        stored["today"] = body.today.isoformat()
    if body.pins:
        stored["pins"] = [p.model_dump() for p in body.pins]
    if body.replace_deployments:
        stored["replace_deployments"] = sorted(set(body.replace_deployments))
    return stored


def _lease(owner: str | None) -> dict:
    """A new plan's state: queued for a worker, or running under the lease of the process that runs it itself."""
    if owner is None:
        return {"status": PlanStatus.queued}
    now = utcnow()
    return {
        "status": PlanStatus.running,
        "lease_owner": owner,
        "attempts": 1,
        "started_at": now,
        "lease_expires_at": now + timedelta(seconds=get_settings().worker_lease_seconds),
        "progress": {"phase": "building", "elapsed": 0.0},
    }


def _check_plannable(session, request_ids: list[int]) -> None:
    """A Member State's request is planned once HQ has accepted it: not while proposed, never once declined."""
    for status, ids in repo.requests_awaiting_or_declined(session, request_ids).items():
        named = ", ".join(map(str, ids))
        if status == RequestStatus.proposed:
            why = (
                f"request(s) {named} await HQ's decision (proposed): accept them first (POST /requests/{{id}}/decision)"
            )
        else:
            why = f"request(s) {named} were declined by HQ: they are never planned"
        raise Invalid("request_ids", why)


@use_case
def create_plan(
    unit: Unit, *, body: PlanCreate, parent_id: int | None = None, lease_owner: str | None = None
) -> PlanPublic:
    """Queue a plan (or, with ``lease_owner``, start it running under that owner's lease, so no worker takes it)."""
    session, principal = unit.session, unit.principal
    if body.request_ids:
        missing = sorted(set(body.request_ids) - repo.request_ids_found(session, body.request_ids))
        if missing:
            raise Invalid("request_ids", f"unknown request id(s) {missing}: see GET /requests")
        _check_plannable(session, body.request_ids)
    repo.check_pins(session, body.pins)
    repo.check_replaced(session, body.replace_deployments)
    plan = Plan(
        parent_id=parent_id,
        request_ids=body.request_ids,
        horizon_start=body.horizon_start,
        horizon_end=body.horizon_end,
        parameters=_parameters(body),
        created_by=principal.name,
        created_by_token=principal.token_id,
        **_lease(lease_owner),
    )
    repo.add(session, plan)
    if lease_owner is None:
        wakeup.announce(session)  # a worker takes it at once, not at its next poll
    public = repo.to_public(plan)
    unit.audit("create", "plan", plan.id, after=public)
    return unit.commit(public, status=202)


# Every setting a plan stores but its scope and pins: a re-solve plans as its parent did (the planning date and
# the readiness of offers taken included), not with today's defaults.
RESOLVE_KEEPS = (
    "time_limit",
    "workers",
    "seed",
    "weights",
    "rest_days",
    "max_state_share",
    "min_readiness",
    "candidates",
    "provisional",
    "gender_targets",
    "today",
)


def _resolve_body(parent: Plan, pins: list | None = None) -> PlanCreate:
    """The parent plan's scope and settings, for a re-solve (optionally with planner pins)."""
    kept = {k: v for k, v in parent.parameters.items() if k in RESOLVE_KEEPS}
    return PlanCreate(
        request_ids=parent.request_ids,
        horizon_start=parent.horizon_start,
        horizon_end=parent.horizon_end,
        pins=pins or [],
        **kept,
    )


@use_case
def resolve_plan(unit: Unit, *, plan_id: int, body: PlanCreate | None = None) -> PlanPublic:
    """Queue a re-solve of a succeeded plan: by default with its own scope and settings."""
    parent = repo.get(unit.session, plan_id)
    if parent.status != PlanStatus.succeeded:
        raise Conflict(f"plan {plan_id} is {parent.status}: only a succeeded plan can be re-solved")
    refuse_if_replaced(unit.session, parent, "re-solve")
    return create_plan(unit, body=body or _resolve_body(parent), parent_id=parent.id)


@use_case
def swap_in(unit: Unit, *, plan_id: int, pin: SeatPin) -> PlanPublic:
    """Queue a re-solve of a plan with one supplier pinned to one seat; the rest moves as little as it can."""
    return resolve_plan(unit, plan_id=plan_id, body=_resolve_body(repo.get(unit.session, plan_id), [pin]))


@use_case
def find_replacement(unit: Unit, *, deployment_id: int) -> PlanPublic:
    """Queue a plan over an at-risk deployment's request in which its seat counts as open; every other
    deployment stays. Approving the replacement cancels the deployment it replaces."""
    deployment = deployments.get_visible(unit.session, unit.principal, deployment_id)
    return create_plan(unit, body=PlanCreate(request_ids=[deployment.request_id], replace_deployments=[deployment.id]))


@use_case
def cancel_plan(unit: Unit, *, plan_id: int) -> PlanPublic:
    """Cancel a queued plan at once, or ask a running plan's worker to stop."""
    plan = repo.get(unit.session, plan_id)
    if plan.status in jobs.FINISHED:
        raise Conflict(f"plan {plan_id} already ended ({plan.status}); nothing to cancel")
    jobs.request_cancel(unit.session, plan)
    unit.audit("cancel", "plan", plan_id)
    return unit.commit(repo.to_public(plan), status=202)


def stop_run(session: Session, *, plan_id: int) -> None:
    """Ask the run of a plan to stop at its next heartbeat (its own runner's Ctrl-C: no audit entry)."""
    jobs.request_cancel(session, repo.get(session, plan_id))
    session.commit()


@use_case
def review_plan(unit: Unit, *, plan_id: int, body: Review) -> ReviewResult:
    """Approve, reject or pin assignments, all or nothing: one conflict (409) changes nothing."""
    result = apply_review(unit.session, repo.get(unit.session, plan_id), body, unit.principal)
    return unit.commit(result)


def assignments(
    session: Session, *, plan_id: int, request_id: int | None = None, review: ReviewStatus | None = None
) -> list[AssignmentPublic]:
    """A plan's proposed assignments, optionally only one request's or only those in one review state."""
    data = repo.assignments(session, repo.get(session, plan_id), review=review)
    if request_id is not None:
        data = [a for a in data if a.request_id == request_id]
    return data


def alternatives(session: Session, *, plan_id: int, position_id: int, seat: int | None, k: int) -> AlternativesPublic:
    """The best k suppliers for a seat other than its holder, ranked by the plan's own score for the pair less what
    the seats they would leave score in the plan, without a solve."""
    import solver

    plan = repo.get(session, plan_id)
    if plan.result is None or plan.instance is None:
        raise Conflict(f"plan {plan.id} is {plan.status}: alternatives exist once it succeeded")
    instance, result, state = kept(session, plan)
    seats = [s.id for s in instance.positions if SeatId.parse(s.id).position == position_id]
    if not seats:
        raise NotFound(f"position {position_id} is not in plan {plan.id}")
    seat_id = str(SeatId(position_id, seat)) if seat else _first_unfilled(result, seats)
    if seat_id not in seats:
        raise NotFound(f"position {position_id} has no seat {seat} in plan {plan.id}")
    current = next((a.supplier_id for a in result.assignments if a.position_id == seat_id), None)
    held = {a.position_id: scoring.total(a.score) for a in result.assignments}
    every = solver.alternatives(instance, result, seat_id, len(instance.experts) + len(instance.offers), kept=state)
    ranked = sorted(
        (o for o in every if o.supplier_id != current and not _moves_within(o, position_id)),
        key=lambda o: (-_net(o, held), -scoring.total(o.score), o.supplier_id),
    )[:k]
    known = suppliers(session, [SupplierId.parse(s) for s in [o.supplier_id for o in ranked] + [current] if s])
    data = [
        AlternativePublic(
            supplier=known[SupplierId.parse(o.supplier_id)],
            score=o.score,
            total=scoring.total(o.score),
            displaces=o.displaces,
        )
        for o in ranked
    ]
    return AlternativesPublic(
        position_id=position_id,
        seat=SeatId.parse(seat_id).seat,
        current=known[SupplierId.parse(current)] if current else None,
        data=data,
        count=len(data),
    )


def _moves_within(option, position_id: int) -> bool:
    """Whether taking this option empties another seat of the same position: its seats are alike, so nothing gains."""
    return any(SeatId.parse(seat).position == position_id for seat in option.displaces)


def _net(option, held: dict[str, int]) -> int:
    """What the plan would gain with this option in the seat: its score there, less the seats it would leave."""
    return scoring.total(option.score) - sum(held.get(seat, 0) for seat in option.displaces)


def _first_unfilled(result: SolverPlan, seats: list[str]) -> str:
    filled = {a.position_id for a in result.assignments}
    return next((s for s in seats if s not in filled), seats[0])


def _read(engine: Engine, plan_id: int) -> PlanPublic:
    """A plan's state in a session of its own: a stream outlives the request's session."""
    with Session(engine) as session:
        return repo.to_public(repo.get(session, plan_id))


async def plan_events(
    engine: Engine, *, plan_id: int, disconnected: Callable[[], Awaitable[bool]]
) -> AsyncIterator[str]:
    """Server-Sent Events of a plan: `progress` while it runs, then one `end`; the plan is read (404) at once."""
    first = await run_in_threadpool(_read, engine, plan_id)
    return _stream(engine, plan_id, first, disconnected)


async def _stream(engine: Engine, plan_id: int, first: PlanPublic, disconnected: Callable[[], Awaitable[bool]]):
    last, plan = None, first
    while True:
        state = plan.model_dump(mode="json", include={"id", "status", "progress", "summary", "error"})
        if plan.status in jobs.FINISHED:
            yield f"event: end\ndata: {json.dumps(state)}\n\n"
            return
        if state != last:
            yield f"event: progress\ndata: {json.dumps(state)}\n\n"
            last = state
        if await disconnected():
            return
        await asyncio.sleep(0.5)
        plan = await run_in_threadpool(_read, engine, plan_id)
