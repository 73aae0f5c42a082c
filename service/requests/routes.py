"""Routes: capacity requests from HQ and from Member States, HQ's decision on the latter, their positions."""

from typing import Annotated

from fastapi import APIRouter, Header, Query, Request, Response, status

from schemas.enums import Level, RequestStatus
from schemas.roster import (
    ISO3,
    CapacityRequestCreate,
    CapacityRequestPublic,
    CapacityRequestsPublic,
    CapacityRequestUpdate,
    PositionCreate,
    PositionPublic,
    PositionsPublic,
    PositionUpdate,
    RequestDecisionCreate,
)
from service.platform.deps import ContributorUser, CurrentUser, DeciderUser, MemberStateUser, SessionDep
from service.platform.etags import set_etag
from service.platform.params import Id, Limit, Offset
from service.platform.unit import Unit
from service.requests import repository as repo
from service.requests import service as requests_service

router = APIRouter(prefix="/requests", tags=["capacity requests"])


@router.get("", response_model=CapacityRequestsPublic)
def list_requests(
    session: SessionDep,
    principal: CurrentUser,
    mission: str | None = None,
    status: RequestStatus | None = None,
    priority: Annotated[int | None, Query(ge=1, le=5, description="1 (highest) to 5")] = None,
    level: Level | None = None,
    requested_by_state: Annotated[str | None, Query(pattern=ISO3, description="who asked")] = None,
    limit: Limit = 50,
    offset: Offset = 0,
):
    """List capacity requests: those awaiting HQ's decision first, then most important first; Member States see the
    open ones and their own."""
    filters = {
        "mission": mission,
        "status": status,
        "priority": priority,
        "level": level,
        "requested_by_state": requested_by_state,
    }
    data, count = repo.list_requests(session, principal, filters, limit, offset)
    return CapacityRequestsPublic(data=data, count=count)


@router.post("", response_model=CapacityRequestPublic, status_code=status.HTTP_201_CREATED)
def create_request(
    session: SessionDep, principal: ContributorUser, body: CapacityRequestCreate, response: Response, http: Request
):
    """Submit a capacity request for a mission, with its positions; a Member State asks for its own government
    (the state from its token, the mission optional) and its request waits for HQ's decision (proposed)."""
    public = requests_service.create_request(Unit.of(session, principal, http), body=body)
    set_etag(response, public.version)
    response.headers["Location"] = f"/requests/{public.id}"
    return public


@router.get("/{request_id:int}", response_model=CapacityRequestPublic)
def get_request(session: SessionDep, principal: CurrentUser, request_id: Id, response: Response):
    """One capacity request with its positions."""
    request = repo.get_visible(session, principal, request_id)
    set_etag(response, request.version)
    return repo.to_public(request)


@router.patch("/{request_id:int}", response_model=CapacityRequestPublic)
def update_request(
    session: SessionDep,
    principal: ContributorUser,
    request_id: Id,
    body: CapacityRequestUpdate,
    response: Response,
    if_match: Annotated[str | None, Header()] = None,
):
    """Change a request's fields or status (a Member State: its own proposed ones); a stale If-Match answers 412."""
    unit = Unit.of(session, principal)
    public = requests_service.update_request(unit, request_id=request_id, body=body, if_match=if_match)
    set_etag(response, public.version)
    return public


@router.post("/{request_id:int}/decision", response_model=CapacityRequestPublic)
def decide_request(
    session: SessionDep,
    principal: DeciderUser,
    request_id: Id,
    body: RequestDecisionCreate,
    response: Response,
    if_match: Annotated[str | None, Header()] = None,
):
    """Accept a Member State's proposed request (submitted: it can be planned) or decline it with a note (final);
    409 when it is not proposed."""
    unit = Unit.of(session, principal)
    public = requests_service.decide_request(unit, request_id=request_id, body=body, if_match=if_match)
    set_etag(response, public.version)
    return public


@router.post("/{request_id:int}/withdraw", response_model=CapacityRequestPublic)
def withdraw_request(
    session: SessionDep,
    principal: MemberStateUser,
    request_id: Id,
    response: Response,
    if_match: Annotated[str | None, Header()] = None,
):
    """The requesting Member State takes back its proposed request (closed); 409 once HQ has decided."""
    unit = Unit.of(session, principal)
    public = requests_service.withdraw_request(unit, request_id=request_id, if_match=if_match)
    set_etag(response, public.version)
    return public


@router.get("/{request_id:int}/positions", response_model=PositionsPublic)
def list_positions(session: SessionDep, principal: CurrentUser, request_id: Id):
    """The positions of one request."""
    request = repo.get_visible(session, principal, request_id)
    data = [repo.position_public(p) for p in request.positions]
    return PositionsPublic(data=data, count=len(data))


@router.post("/{request_id:int}/positions", response_model=PositionPublic, status_code=status.HTTP_201_CREATED)
def add_position(
    session: SessionDep,
    principal: ContributorUser,
    request_id: Id,
    body: PositionCreate,
    response: Response,
    http: Request,
):
    """Add a position to a request."""
    public = requests_service.add_position(Unit.of(session, principal, http), request_id=request_id, body=body)
    set_etag(response, public.version)
    response.headers["Location"] = f"/requests/{request_id}/positions/{public.id}"
    return public


@router.get("/{request_id:int}/positions/{position_id:int}", response_model=PositionPublic)
def get_position(session: SessionDep, principal: CurrentUser, request_id: Id, position_id: Id, response: Response):
    """One position."""
    position = repo.get_position(repo.get_visible(session, principal, request_id), position_id)
    set_etag(response, position.version)
    return repo.position_public(position)


@router.patch("/{request_id:int}/positions/{position_id:int}", response_model=PositionPublic)
def update_position(
    session: SessionDep,
    principal: ContributorUser,
    request_id: Id,
    position_id: Id,
    body: PositionUpdate,
    response: Response,
    if_match: Annotated[str | None, Header()] = None,
):
    """Change a position; the merged result is validated as a new one would be."""
    unit = Unit.of(session, principal)
    public = requests_service.update_position(
        unit, request_id=request_id, position_id=position_id, body=body, if_match=if_match
    )
    set_etag(response, public.version)
    return public


@router.delete("/{request_id:int}/positions/{position_id:int}", status_code=status.HTTP_204_NO_CONTENT)
def delete_position(session: SessionDep, principal: ContributorUser, request_id: Id, position_id: Id) -> Response:
    """Remove a position from a request."""
    requests_service.delete_position(Unit.of(session, principal), request_id=request_id, position_id=position_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
