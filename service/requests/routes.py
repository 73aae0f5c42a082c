"""Routes: capacity requests from HQ and their positions."""

from typing import Annotated

from fastapi import APIRouter, Header, Query, Request, Response, status

from schemas.enums import Level, RequestStatus
from schemas.roster import (
    CapacityRequestCreate,
    CapacityRequestPublic,
    CapacityRequestsPublic,
    CapacityRequestUpdate,
    PositionCreate,
    PositionPublic,
    PositionsPublic,
    PositionUpdate,
)
from service.platform import audit
from service.platform import idempotency
from service.platform.deps import CurrentUser, HqUser, SessionDep
from service.platform.etags import set_etag
from service.requests import repository as repo
from service.platform.updates import audited_update
from service.platform.params import Id, Limit, Offset

router = APIRouter(prefix="/requests", tags=["capacity requests"])


@router.get("", response_model=CapacityRequestsPublic)
def list_requests(
    session: SessionDep,
    principal: CurrentUser,
    mission: str | None = None,
    status: RequestStatus | None = None,
    priority: Annotated[int | None, Query(ge=1, le=5, description="1 (highest) to 5")] = None,
    level: Level | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
):
    """List capacity requests, most important first; Member States see open ones only."""
    filters = {"mission": mission, "status": status, "priority": priority, "level": level}
    data, count = repo.list_requests(session, principal, filters, limit, offset)
    return CapacityRequestsPublic(data=data, count=count)


@router.post("", response_model=CapacityRequestPublic, status_code=status.HTTP_201_CREATED)
def create_request(session: SessionDep, principal: HqUser, body: CapacityRequestCreate, response: Response,
                   http: Request):
    """Submit a capacity request for a mission, with its positions."""
    request = repo.create(session, body)
    public = repo.to_public(request)
    audit.record(session, principal, "create", "capacity_request", request.id, after=public)
    idempotency.settle(session, http, status.HTTP_201_CREATED, public)
    session.commit()
    set_etag(response, request.version)
    response.headers["Location"] = f"/requests/{request.id}"
    return public


@router.get("/{request_id}", response_model=CapacityRequestPublic)
def get_request(session: SessionDep, principal: CurrentUser, request_id: Id, response: Response):
    """One capacity request with its positions."""
    request = repo.get_visible(session, principal, request_id)
    set_etag(response, request.version)
    return repo.to_public(request)


@router.patch("/{request_id}", response_model=CapacityRequestPublic)
def update_request(
    session: SessionDep,
    principal: HqUser,
    request_id: Id,
    body: CapacityRequestUpdate,
    response: Response,
    if_match: Annotated[str | None, Header()] = None,
):
    """Change a request's fields or status; a stale If-Match answers 412."""
    request = repo.get_visible(session, principal, request_id)
    return audited_update(session, principal, response, if_match, row=request, entity="capacity_request",
                          public=repo.to_public, change=lambda: repo.update(session, request, body))


@router.get("/{request_id}/positions", response_model=PositionsPublic)
def list_positions(session: SessionDep, principal: CurrentUser, request_id: Id):
    """The positions of one request."""
    request = repo.get_visible(session, principal, request_id)
    data = [repo.position_public(p) for p in request.positions]
    return PositionsPublic(data=data, count=len(data))


@router.post("/{request_id}/positions", response_model=PositionPublic, status_code=status.HTTP_201_CREATED)
def add_position(
    session: SessionDep, principal: HqUser, request_id: Id, body: PositionCreate, response: Response, http: Request
):
    """Add a position to a request."""
    request = repo.get_visible(session, principal, request_id)
    position = repo.add_position(session, request, body)
    public = repo.position_public(position)
    audit.record(session, principal, "create", "position", position.id, after=public)
    idempotency.settle(session, http, status.HTTP_201_CREATED, public)
    session.commit()
    set_etag(response, position.version)
    response.headers["Location"] = f"/requests/{request_id}/positions/{position.id}"
    return public


@router.get("/{request_id}/positions/{position_id}", response_model=PositionPublic)
def get_position(session: SessionDep, principal: CurrentUser, request_id: Id, position_id: Id, response: Response):
    """One position."""
    position = repo.get_position(repo.get_visible(session, principal, request_id), position_id)
    set_etag(response, position.version)
    return repo.position_public(position)


@router.patch("/{request_id}/positions/{position_id}", response_model=PositionPublic)
def update_position(
    session: SessionDep,
    principal: HqUser,
    request_id: Id,
    position_id: Id,
    body: PositionUpdate,
    response: Response,
    if_match: Annotated[str | None, Header()] = None,
):
    """Change a position; the merged result is validated as a new one would be."""
    request = repo.get_visible(session, principal, request_id)
    position = repo.get_position(request, position_id)
    return audited_update(session, principal, response, if_match, row=position, entity="position",
                          public=repo.position_public,
                          change=lambda: repo.update_position(session, request, position, body))


@router.delete("/{request_id}/positions/{position_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_position(session: SessionDep, principal: HqUser, request_id: Id, position_id: Id) -> Response:
    """Remove a position from a request."""
    request = repo.get_visible(session, principal, request_id)
    position = repo.get_position(request, position_id)
    audit.record(session, principal, "delete", "position", position.id, before=repo.position_public(position))
    request.positions.remove(position)
    repo.touch(request)
    session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)
