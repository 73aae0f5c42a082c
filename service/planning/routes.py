"""Routes: plans (solve jobs), their review, alternatives and re-solves."""

import asyncio
import json
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse
from sqlmodel import Session, select

from schemas.enums import PlanStatus, ReviewStatus
from schemas.planning import (
    AlternativesPublic,
    AssignmentsPublic,
    PlanCreate,
    PlanPublic,
    PlansPublic,
    Review,
    ReviewResult,
    UnfilledList,
)
from service.platform import audit
from service.platform import idempotency
from service.planning import jobs
from service.planning import review
from service.platform.deps import PlannerUser, SessionDep, StaffUser
from service.platform.errors import Conflict, Invalid
from service.planning import repository as repo
from service.platform.params import Id, Limit, Offset
from service.platform.tables import CapacityRequest, Plan, PlanAssignment

router = APIRouter(prefix="/plans", tags=["plans"])


def _parameters(body: PlanCreate) -> dict:
    stored = {"time_limit": body.time_limit, "workers": body.workers, "seed": body.seed}
    for name in ("rest_days", "max_state_share"):
        if getattr(body, name) is not None:
            stored[name] = getattr(body, name)
    if body.weights is not None:
        stored["weights"] = body.weights.model_dump()
    if body.gender_targets:
        stored["gender_targets"] = {str(k): v for k, v in body.gender_targets.items()}
    if body.today is not None:
        stored["today"] = body.today.isoformat()
    if body.pins:
        stored["pins"] = [p.model_dump() for p in body.pins]
    return stored


def _enqueue(session: Session, principal, body: PlanCreate, parent_id: int | None, response: Response,
             request: Request | None = None) -> PlanPublic:
    if body.request_ids:
        found = set(session.exec(select(CapacityRequest.id).where(CapacityRequest.id.in_(body.request_ids))).all())
        missing = sorted(set(body.request_ids) - found)
        if missing:
            raise Invalid("request_ids", f"unknown request id(s) {missing}: see GET /requests")
    repo.check_pins(session, body.pins)
    plan = Plan(status=PlanStatus.queued, parent_id=parent_id, request_ids=body.request_ids,
                horizon_start=body.horizon_start, horizon_end=body.horizon_end, parameters=_parameters(body),
                created_by=principal.name, created_by_token=principal.token_id)
    session.add(plan)
    session.flush()
    public = repo.to_public(plan)
    audit.record(session, principal, "create", "plan", plan.id, after=public)
    if request is not None:
        idempotency.settle(session, request, status.HTTP_202_ACCEPTED, public)
    session.commit()
    response.headers["Location"] = f"/plans/{plan.id}"
    return public


@router.post("", response_model=PlanPublic, status_code=status.HTTP_202_ACCEPTED)
def create_plan(session: SessionDep, principal: PlannerUser, body: PlanCreate, response: Response,
                request: Request = None):
    """Queue a plan for the open requests in scope; follow it at /plans/{id} or /plans/{id}/events."""
    return _enqueue(session, principal, body, None, response, request)


@router.get("", response_model=PlansPublic)
def list_plans(session: SessionDep, _: StaffUser, limit: Limit = 50, offset: Offset = 0):
    """Plans, newest first."""
    data, count = repo.list_plans(session, limit, offset)
    return PlansPublic(data=data, count=count)


@router.get("/{plan_id}", response_model=PlanPublic)
def get_plan(session: SessionDep, _: StaffUser, plan_id: Id):
    """A plan's status, progress while it runs, and its summary once done."""
    return repo.to_public(repo.get(session, plan_id))


@router.delete("/{plan_id}", response_model=PlanPublic, status_code=status.HTTP_202_ACCEPTED)
def cancel_plan(session: SessionDep, principal: PlannerUser, plan_id: Id):
    """Cancel a queued or running plan."""
    plan = repo.get(session, plan_id)
    if plan.status in jobs.FINISHED:
        raise Conflict(f"plan {plan_id} already ended ({plan.status}); nothing to cancel")
    jobs.request_cancel(session, plan)
    audit.record(session, principal, "cancel", "plan", plan_id)
    session.commit()
    return repo.to_public(plan)


@router.get("/{plan_id}/events", response_class=StreamingResponse,
            responses={200: {"content": {"text/event-stream": {}}, "description": "Server-Sent Events"}})
async def plan_events(request: Request, _: StaffUser, plan_id: Id):
    """Server-Sent Events: `progress` while the plan runs, then one `end` with its final state."""
    engine = request.app.state.engine

    def read() -> PlanPublic:
        with Session(engine) as session:
            return repo.to_public(repo.get(session, plan_id))

    first = await run_in_threadpool(read)

    async def stream():
        last, plan = None, first
        while True:
            state = plan.model_dump(mode="json", include={"id", "status", "progress", "summary", "error"})
            if plan.status in jobs.FINISHED:
                yield f"event: end\ndata: {json.dumps(state)}\n\n"
                return
            if state != last:
                yield f"event: progress\ndata: {json.dumps(state)}\n\n"
                last = state
            if await request.is_disconnected():
                return
            await asyncio.sleep(0.5)
            plan = await run_in_threadpool(read)

    return StreamingResponse(stream(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


@router.get("/{plan_id}/assignments", response_model=AssignmentsPublic)
def list_assignments(session: SessionDep, _: StaffUser, plan_id: Id, request_id: int | None = None,
                     review: ReviewStatus | None = None):
    """The proposed assignments with their score breakdown."""
    conditions = []
    if review is not None:
        conditions.append(PlanAssignment.review == review)
    data = repo.assignments(session, repo.get(session, plan_id), conditions)
    if request_id is not None:
        data = [a for a in data if a.request_id == request_id]
    return AssignmentsPublic(data=data, count=len(data))


@router.get("/{plan_id}/unfilled", response_model=UnfilledList)
def list_unfilled(session: SessionDep, _: StaffUser, plan_id: Id):
    """Seats the plan left empty, each with the rules and competing positions that kept it empty."""
    data = repo.unfilled(session, repo.get(session, plan_id))
    return UnfilledList(data=data, count=len(data))


@router.get("/{plan_id}/positions/{position_id}/alternatives", response_model=AlternativesPublic,
            responses={409: {"description": "The plan has not succeeded (yet)"}})
def position_alternatives(
    session: SessionDep, _: StaffUser, plan_id: Id, position_id: Id,
    seat: Annotated[int | None, Query(ge=1, le=500, description="default: the first unfilled seat")] = None,
    k: Annotated[int, Query(ge=1, le=50)] = 5,
):
    """The best k suppliers for a seat, with their scores and what choosing each would displace."""
    return repo.alternatives(session, repo.get(session, plan_id), position_id, seat, k)


@router.post("/{plan_id}/review", response_model=ReviewResult)
def review_plan(session: SessionDep, principal: PlannerUser, plan_id: Id, body: Review):
    """Approve, reject or pin assignments in bulk; all or nothing (one conflict answers 409)."""
    return review.apply(session, repo.get(session, plan_id), body, principal)


@router.post("/{plan_id}/assignments/{assignment_id}/{decision}", response_model=ReviewResult)
def review_one(session: SessionDep, principal: PlannerUser, plan_id: Id, assignment_id: Id,
               decision: Annotated[str, "approve, reject or pin"]):
    """Approve, reject or pin one assignment."""
    if decision not in ("approve", "reject", "pin"):
        raise Invalid("decision", f"{decision!r} is not a decision: use approve, reject or pin")
    return review.apply(session, repo.get(session, plan_id), Review(**{decision: [assignment_id]}), principal)


@router.post("/{plan_id}/resolve", response_model=PlanPublic, status_code=status.HTTP_202_ACCEPTED)
def resolve_plan(session: SessionDep, principal: PlannerUser, plan_id: Id, response: Response,
                 body: PlanCreate | None = None, request: Request = None):
    """A new plan from this one: approvals and pins stay, rejections are excluded, the rest moves little."""
    parent = repo.get(session, plan_id)
    if parent.status != PlanStatus.succeeded:
        raise Conflict(f"plan {plan_id} is {parent.status}: only a succeeded plan can be re-solved")
    return _enqueue(session, principal, body or resolve_body(parent), parent.id, response, request)


def resolve_body(parent: Plan, pins: list | None = None) -> PlanCreate:
    """The parent plan's scope and settings, for a re-solve (optionally with planner pins)."""
    stored = dict(parent.parameters)
    kept = {k: stored[k] for k in ("time_limit", "workers", "seed", "today") if k in stored}
    return PlanCreate(request_ids=parent.request_ids, horizon_start=parent.horizon_start,
                      horizon_end=parent.horizon_end, pins=pins or [], **kept)
