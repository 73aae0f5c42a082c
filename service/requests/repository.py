"""Capacity requests and their positions."""

from collections.abc import Iterable

from pydantic import ValidationError
from sqlmodel import Session, or_, select

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
from service.platform.errors import Conflict, Forbidden, Invalid, not_found
from service.platform.queries import get_scoped, page
from service.platform.tables import CapacityRequest, MemberState, Mission, Position, stored_id, utcnow
from service.reference import credentials
from service.reference.repository import check_skills, check_states

OPEN_STATUSES = (RequestStatus.submitted, RequestStatus.planning, RequestStatus.partly_filled)
# What only HQ's decision sets or leaves: a state's request awaiting HQ, and one HQ declined.
DECISION_STATUSES = (RequestStatus.proposed, RequestStatus.declined)


def position_public(position: Position) -> PositionPublic:
    return PositionPublic.model_validate(position.model_dump())


def to_public(request: CapacityRequest) -> CapacityRequestPublic:
    return CapacityRequestPublic(**request.model_dump(), positions=[position_public(p) for p in request.positions])


def scope(statement, principal: Principal):
    """Member States see the open requests and their own."""
    if principal.role == Role.member_state:
        return statement.where(
            or_(CapacityRequest.status.in_(OPEN_STATUSES), CapacityRequest.requested_by_state == principal.state)
        )
    return statement


def place(request: CapacityRequest | CapacityRequestPublic | None, states: dict[str, str]) -> str:
    """Where a request is for: its mission, or its state's own government ("outside a mission (Norway)")."""
    if request is None:
        return ""
    if request.mission is not None:
        return request.mission
    state = request.requested_by_state or ""
    return f"outside a mission ({states.get(state, state)})"


def places(session: Session, request_ids: Iterable[int]) -> dict[int, str]:
    """Where each of these requests is for, by id (a label: the mission, or "outside a mission (Norway)")."""
    ids = set(request_ids)
    if not ids:
        return {}
    rows = session.exec(select(CapacityRequest).where(CapacityRequest.id.in_(ids))).all()
    names = state_names(session) if any(r.mission is None for r in rows) else {}
    return {stored_id(r.id): place(r, names) for r in rows}


def state_names(session: Session) -> dict[str, str]:
    """Every Member State's name by its ISO3 code."""
    return {s.iso3: s.name for s in session.exec(select(MemberState)).all()}


def get_visible(session: Session, principal: Principal, request_id: int) -> CapacityRequest:
    return get_scoped(session, CapacityRequest, request_id, principal, scope, "capacity request")


def get_position(request: CapacityRequest, position_id: int) -> Position:
    for position in request.positions:
        if position.id == position_id:
            return position
    raise not_found(f"position of request {request.id}", position_id)


def list_requests(session: Session, principal: Principal, filters: dict, limit: int, offset: int):
    conditions = [getattr(CapacityRequest, k) == v for k, v in filters.items() if v is not None]
    awaiting_hq_first = CapacityRequest.status != RequestStatus.proposed
    order = (awaiting_hq_first, CapacityRequest.priority, CapacityRequest.id)
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
        CapacityRequest.mission == request.mission
        if request.mission is not None
        else (CapacityRequest.mission.is_(None)) & (CapacityRequest.requested_by_state == request.requested_by_state),
        CapacityRequest.title == request.title,
    )
    if request.id is not None:
        clash = clash.where(CapacityRequest.id != request.id)
    if session.exec(clash).first() is not None:
        where = f"mission {request.mission}" if request.mission else f"{request.requested_by_state} outside a mission"
        raise Conflict(f"{where} already has a request titled {request.title!r}: change the title")


def _check_place(session: Session, request: CapacityRequest) -> None:
    """A request is for a mission, or (a Member State's) for its own government outside a mission."""
    if request.mission is not None:
        _check_mission(session, request.mission)
    elif request.requested_by_state is None:
        raise Invalid(
            "mission", "name the mission: only a Member State's request may be outside a mission (for its government)"
        )


def requester(principal: Principal, data: CapacityRequestCreate) -> tuple[str | None, RequestStatus]:
    """Who asks and the status a new request starts in: a Member State asks for itself and waits for HQ."""
    if principal.role != Role.member_state:
        if data.status == RequestStatus.proposed and data.requested_by_state is None:
            raise Invalid("status", "a proposed request is a Member State's: name it in 'requested_by_state'")
        return data.requested_by_state, data.status or RequestStatus.submitted
    if data.requested_by_state not in (None, principal.state):
        raise Invalid("requested_by_state", f"a {principal.state} token can only ask for {principal.state}")
    if data.status not in (None, RequestStatus.proposed):
        raise Invalid("status", "a Member State's request starts proposed, until HQ accepts it: leave status out")
    return principal.state, RequestStatus.proposed


def _check_position_skills(session: Session, field: str, data: PositionCreate, types_changed: bool = True) -> None:
    check_skills(session, f"{field}.required_skills", [s.code for s in data.required_skills])
    check_skills(session, f"{field}.desired_skills", [s.code for s in data.desired_skills])
    if types_changed:
        credentials.check_codes(session, f"{field}.required_credentials", data.required_credentials or [])


def new_position(session: Session, request: CapacityRequest, data: PositionCreate) -> Position:
    """The position, requiring its category's default credentials unless the request names them."""
    values = data.model_dump()
    values["level"] = data.level or request.level
    if data.required_credentials is None:
        values["required_credentials"] = credentials.defaults_for(session, data.category)
    return Position(**values)


def create(session: Session, principal: Principal, data: CapacityRequestCreate) -> CapacityRequest:
    state, status = requester(principal, data)
    if state is not None:
        check_states(session, "requested_by_state", [state])
    for i, position in enumerate(data.positions):
        _check_position_skills(session, f"positions.{i}", position)
    values = data.model_dump(exclude={"positions", "status", "requested_by_state"})
    request = CapacityRequest(**values, status=status, requested_by_state=state, requested_by=principal.name)
    _check_place(session, request)
    _check_unique(session, request)
    request.positions = [new_position(session, request, p) for p in data.positions]
    session.add(request)
    session.flush()
    return request


def check_writable(principal: Principal, request: CapacityRequest) -> None:
    """A declined request stays as HQ decided it; a Member State changes only its own requests, and only while
    they wait for HQ."""
    if request.status == RequestStatus.declined:
        raise Conflict(f"request {request.id} was declined by HQ and stays as decided: ask again with a new request")
    if principal.role != Role.member_state:
        return
    if request.requested_by_state != principal.state:
        raise Forbidden(f"a {principal.state} token changes only the requests {principal.state} made")
    if request.status != RequestStatus.proposed:
        raise Conflict(f"request {request.id} is {request.status.value}: HQ keeps it now, ask HQ to change it")


def _check_status(principal: Principal, request: CapacityRequest, changes: dict) -> None:
    if "status" not in changes or changes["status"] == request.status:
        return
    if principal.role == Role.member_state:
        raise Invalid("status", "a Member State withdraws its request with POST /requests/{id}/withdraw")
    if request.status in DECISION_STATUSES or changes["status"] in DECISION_STATUSES:
        raise Invalid(
            "status",
            f"a request goes from or to proposed only through HQ's decision (it is {request.status.value}): "
            "POST /requests/{id}/decision",
        )


def update(
    session: Session, principal: Principal, request: CapacityRequest, data: CapacityRequestUpdate
) -> CapacityRequest:
    check_writable(principal, request)
    changes = data.model_dump(exclude_unset=True)
    for name, value in changes.items():
        if value is None and name not in REQUEST_NULLABLE:
            raise Invalid(name, f"{name} cannot be null: leave it out to keep the current value")
    _check_status(principal, request, changes)
    request.sqlmodel_update(changes)
    if "mission" in changes:
        _check_place(session, request)
    _check_unique(session, request)
    touch(request)
    session.add(request)
    session.flush()
    return request


def decide(session: Session, principal: Principal, request: CapacityRequest, accept: bool, note: str) -> None:
    """HQ's answer to a proposed request: accepted it is submitted (plannable), declined it is final."""
    if request.status != RequestStatus.proposed:
        raise Conflict(f"request {request.id} is {request.status.value}: only a proposed request is decided")
    if not accept and not note.strip():
        raise Invalid("note", "say why in 'note': the requesting state reads it")
    request.status = RequestStatus.submitted if accept else RequestStatus.declined
    request.decision_note = note.strip() or None
    request.decided_by = principal.name
    request.decided_at = utcnow()
    touch(request)
    session.add(request)
    session.flush()


def withdraw(session: Session, principal: Principal, request: CapacityRequest) -> None:
    """The requesting state takes back its proposed request: it is closed."""
    check_writable(principal, request)
    request.status = RequestStatus.closed
    touch(request)
    session.add(request)
    session.flush()


def touch(request: CapacityRequest) -> None:
    request.version += 1
    request.updated_at = utcnow()


def add_position(session: Session, request: CapacityRequest, data: PositionCreate) -> Position:
    _check_position_skills(session, "body", data)
    position = new_position(session, request, data)
    request.positions.append(position)
    touch(request)
    session.add(request)
    session.flush()
    return position


def update_position(session: Session, request: CapacityRequest, position: Position, data: PositionUpdate) -> Position:
    changes = data.model_dump(exclude_unset=True)
    if "required_credentials" in changes and changes["required_credentials"] is None:
        # PositionCreate reads null as "the category's defaults"; a stored position keeps its list unless given one
        raise Invalid("required_credentials", "required_credentials cannot be null: send the whole list ([] for none)")
    merged = position.model_dump(exclude={"id", "request_id", "filled", "version"}) | changes
    if {"trainees", "trainer_ratio"} & changes.keys() and "count" not in changes:
        merged["count"] = None  # derived again from trainees and ratio
    try:
        checked = PositionCreate.model_validate(merged)
    except ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join(str(p) for p in err["loc"]) or "body"
        raise Invalid(field, err["msg"].removeprefix("Value error, ")) from None
    _check_position_skills(session, "body", checked, "required_credentials" in changes)
    position.sqlmodel_update(checked.model_dump() | {"level": checked.level or request.level})
    position.version += 1
    touch(request)
    session.add(position)
    session.flush()
    return position
