"""Routes: plans (solve jobs), their review, alternatives and re-solves."""

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Request, Response, status
from fastapi.responses import StreamingResponse

from schemas.enums import ReviewStatus
from schemas.planning import (
    AlternativesPublic,
    AssignmentsPublic,
    Override,
    PlanCreate,
    PlanPublic,
    PlansPublic,
    Review,
    ReviewResult,
    UnfilledList,
)
from service.planning import repository as repo
from service.planning import service
from service.platform.deps import PlannerUser, SessionDep, StaffUser
from service.platform.params import Id, Limit, Offset
from service.platform.unit import Unit

router = APIRouter(prefix="/plans", tags=["plans"])


@router.post("", response_model=PlanPublic, status_code=status.HTTP_202_ACCEPTED)
def create_plan(session: SessionDep, principal: PlannerUser, body: PlanCreate, response: Response, request: Request):
    """Queue a plan for the open requests in scope; follow it at /plans/{id} or /plans/{id}/events."""
    plan = service.create_plan(Unit.of(session, principal, request), body=body)
    response.headers["Location"] = f"/plans/{plan.id}"
    return plan


@router.get("", response_model=PlansPublic)
def list_plans(session: SessionDep, _: StaffUser, limit: Limit = 50, offset: Offset = 0):
    """Plans, newest first."""
    data, count = repo.list_plans(session, limit, offset)
    return PlansPublic(data=data, count=count)


@router.get("/{plan_id:int}", response_model=PlanPublic)
def get_plan(session: SessionDep, _: StaffUser, plan_id: Id):
    """A plan's status, progress while it runs, and its summary once done."""
    return repo.to_public(repo.get(session, plan_id))


@router.delete("/{plan_id:int}", response_model=PlanPublic, status_code=status.HTTP_202_ACCEPTED)
def cancel_plan(session: SessionDep, principal: PlannerUser, plan_id: Id):
    """Cancel a queued or running plan."""
    return service.cancel_plan(Unit(session, principal), plan_id=plan_id)


@router.get(
    "/{plan_id:int}/events",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}, "description": "Server-Sent Events"}},
)
async def plan_events(request: Request, _: StaffUser, plan_id: Id):
    """Server-Sent Events: `progress` while the plan runs, then one `end` with its final state."""
    stream = await service.plan_events(request.app.state.engine, plan_id=plan_id, disconnected=request.is_disconnected)
    return StreamingResponse(
        stream, media_type="text/event-stream", headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    )


@router.get("/{plan_id:int}/assignments", response_model=AssignmentsPublic)
def list_assignments(
    session: SessionDep, _: StaffUser, plan_id: Id, request_id: int | None = None, review: ReviewStatus | None = None
):
    """The proposed assignments with their score breakdown."""
    data = service.assignments(session, plan_id=plan_id, request_id=request_id, review=review)
    return AssignmentsPublic(data=data, count=len(data))


@router.get("/{plan_id:int}/unfilled", response_model=UnfilledList)
def list_unfilled(session: SessionDep, _: StaffUser, plan_id: Id):
    """Seats the plan left empty, each with the rules and competing positions that kept it empty."""
    data = repo.unfilled(session, repo.get(session, plan_id))
    return UnfilledList(data=data, count=len(data))


@router.get(
    "/{plan_id:int}/positions/{position_id:int}/alternatives",
    response_model=AlternativesPublic,
    responses={409: {"description": "The plan has not succeeded (yet)"}},
)
def position_alternatives(
    session: SessionDep,
    _: StaffUser,
    plan_id: Id,
    position_id: Id,
    seat: Annotated[int | None, Query(ge=1, le=500, description="default: the first unfilled seat")] = None,
    k: Annotated[int, Query(ge=1, le=50)] = 5,
):
    """The best k suppliers for a seat, with their scores and what choosing each would displace."""
    return service.alternatives(session, plan_id=plan_id, position_id=position_id, seat=seat, k=k)


@router.post("/{plan_id:int}/review", response_model=ReviewResult)
def review_plan(session: SessionDep, principal: PlannerUser, plan_id: Id, body: Review):
    """Approve, reject, pin or undo assignments in bulk; all or nothing (one conflict answers 409)."""
    return service.review_plan(Unit(session, principal), plan_id=plan_id, body=body)


@router.post("/{plan_id:int}/assignments/{assignment_id:int}/{decision}", response_model=ReviewResult)
def review_one(
    session: SessionDep,
    principal: PlannerUser,
    plan_id: Id,
    assignment_id: Id,
    decision: Annotated[Literal["approve", "reject", "pin", "undo"], Path(description="what to do with it")],
    body: Override | None = None,
):
    """Approve, reject or pin one assignment, or undo its approval (deployment still planned), rejection or pin; an
    approval may carry a reason to override breakable rules."""
    reason = body.override_reason if body is not None else None
    review = Review.model_validate({decision: [assignment_id], "override_reason": reason})
    return service.review_plan(Unit(session, principal), plan_id=plan_id, body=review)


@router.post("/{plan_id:int}/resolve", response_model=PlanPublic, status_code=status.HTTP_202_ACCEPTED)
def resolve_plan(
    session: SessionDep,
    principal: PlannerUser,
    plan_id: Id,
    response: Response,
    request: Request,
    body: PlanCreate | None = None,
):
    """A new plan from this one: approvals and pins stay, rejections are excluded, the rest moves little."""
    plan = service.resolve_plan(Unit.of(session, principal, request), plan_id=plan_id, body=body)
    response.headers["Location"] = f"/plans/{plan.id}"
    return plan
