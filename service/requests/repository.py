"""Capacity requests and their positions."""

from pydantic import ValidationError
from sqlmodel import Session, select

from schemas.enums import RequestStatus, Role
from schemas.roster import (
    REQUEST_NULLABLE,
    CapacityRequestCreate,
    CapacityRequestPublic,
    CapacityRequestUpdate,
    PositionCreate,
    PositionPublic,
    PositionUpdate,
)
from service.platform.auth import Principal
from service.platform.errors import Conflict, Invalid, not_found
from service.platform.queries import get_scoped, page
from service.platform.tables import CapacityRequest, Mission, Position, utcnow
from service.reference.repository import check_skills

OPEN_STATUSES = (RequestStatus.submitted, RequestStatus.planning, RequestStatus.partly_filled)


def position_public(position: Position) -> PositionPublic:
    return PositionPublic.model_validate(position.model_dump())


def to_public(request: CapacityRequest) -> CapacityRequestPublic:
    return CapacityRequestPublic(**request.model_dump(), positions=[position_public(p) for p in request.positions])


def scope(statement, principal: Principal):
    """Member States see open requests only."""
    if principal.role == Role.member_state:
        return statement.where(CapacityRequest.status.in_(OPEN_STATUSES))
    return statement


def get_visible(session: Session, principal: Principal, request_id: int) -> CapacityRequest:
    return get_scoped(session, CapacityRequest, request_id, principal, scope, "capacity request")


def get_position(request: CapacityRequest, position_id: int) -> Position:
    for position in request.positions:
        if position.id == position_id:
            return position
    raise not_found(f"position of request {request.id}", position_id)


def list_requests(session: Session, principal: Principal, filters: dict, limit: int, offset: int):
    conditions = [getattr(CapacityRequest, k) == v for k, v in filters.items() if v is not None]
    order = (CapacityRequest.priority, CapacityRequest.id)
    rows, count = page(session, CapacityRequest, principal, scope, conditions, order, limit, offset)
    return [to_public(r) for r in rows], count


def _check_mission(session: Session, code: str) -> None:
    mission = session.get(Mission, code)
    if mission is None:
        raise Invalid("mission", f"unknown mission {code!r}: see GET /reference/missions")
    if not mission.active:
        raise Invalid("mission", f"mission {code} is closed: requests go to active missions only")


def _check_unique(session: Session, request: CapacityRequest) -> None:
    clash = select(CapacityRequest.id).where(
        CapacityRequest.mission == request.mission, CapacityRequest.title == request.title
    )
    if request.id is not None:
        clash = clash.where(CapacityRequest.id != request.id)
    if session.exec(clash).first() is not None:
        raise Conflict(f"mission {request.mission} already has a request titled {request.title!r}")


def _check_position_skills(session: Session, field: str, data: PositionCreate) -> None:
    check_skills(session, f"{field}.required_skills", [s.code for s in data.required_skills])
    check_skills(session, f"{field}.desired_skills", [s.code for s in data.desired_skills])


def _new_position(request: CapacityRequest, data: PositionCreate) -> Position:
    values = data.model_dump()
    values["level"] = data.level or request.level
    return Position(**values)


def create(session: Session, data: CapacityRequestCreate) -> CapacityRequest:
    _check_mission(session, data.mission)
    for i, position in enumerate(data.positions):
        _check_position_skills(session, f"positions.{i}", position)
    request = CapacityRequest(**data.model_dump(exclude={"positions"}))
    _check_unique(session, request)
    request.positions = [_new_position(request, p) for p in data.positions]
    session.add(request)
    session.flush()
    return request


def update(session: Session, request: CapacityRequest, data: CapacityRequestUpdate) -> CapacityRequest:
    changes = data.model_dump(exclude_unset=True)
    for name, value in changes.items():
        if value is None and name not in REQUEST_NULLABLE:
            raise Invalid(name, f"{name} cannot be null: leave it out to keep the current value")
    if "mission" in changes:
        _check_mission(session, changes["mission"])
    request.sqlmodel_update(changes)
    _check_unique(session, request)
    touch(request)
    session.add(request)
    session.flush()
    return request


def touch(request: CapacityRequest) -> None:
    request.version += 1
    request.updated_at = utcnow()


def add_position(session: Session, request: CapacityRequest, data: PositionCreate) -> Position:
    _check_position_skills(session, "body", data)
    position = _new_position(request, data)
    request.positions.append(position)
    touch(request)
    session.add(request)
    session.flush()
    return position


def update_position(session: Session, request: CapacityRequest, position: Position, data: PositionUpdate) -> Position:
    changes = data.model_dump(exclude_unset=True)
    merged = position.model_dump(exclude={"id", "request_id", "filled", "version"}) | changes
    if {"trainees", "trainer_ratio"} & changes.keys() and "count" not in changes:
        merged["count"] = None  # derived again from trainees and ratio
    try:
        checked = PositionCreate.model_validate(merged)
    except ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join(str(p) for p in err["loc"]) or "body"
        raise Invalid(field, err["msg"].removeprefix("Value error, ")) from None
    _check_position_skills(session, "body", checked)
    position.sqlmodel_update(checked.model_dump() | {"level": checked.level or request.level})
    position.version += 1
    touch(request)
    session.add(position)
    session.flush()
    return position
