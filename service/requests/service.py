"""Use cases of capacity requests and their positions: submitted, changed, edited as a whole."""

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from pydantic import ValidationError

from schemas.enums import RequestDecision, RequestStatus
from schemas.roster import (
    CapacityRequestCreate,
    CapacityRequestPublic,
    CapacityRequestUpdate,
    PositionCreate,
    PositionPublic,
    PositionUpdate,
    RequestDecisionCreate,
)
from service.platform import hooks, locks
from service.platform.errors import PreconditionFailed, RosterError
from service.platform.etags import check_if_match
from service.platform.tables import CapacityRequest, Position
from service.platform.unit import Unit
from service.platform.usecase import use_case
from service.requests import repository as repo


@use_case
def create_request(unit: Unit, *, body: CapacityRequestCreate) -> CapacityRequestPublic:
    """Submit a capacity request for a mission, with its positions; a Member State's waits for HQ (proposed)."""
    request = repo.create(unit.session, unit.principal, body)
    public = repo.to_public(request)
    unit.audit("create", "capacity_request", request.id, after=public)
    if request.status == RequestStatus.proposed:
        _publish(unit, "request.proposed", request)
    return unit.commit(public, status=201)


@use_case
def decide_request(
    unit: Unit, *, request_id: int, body: RequestDecisionCreate, if_match: str | None = None
) -> CapacityRequestPublic:
    """HQ accepts a state's proposed request (submitted: it can be planned) or declines it with a note (final)."""
    locks.lock_requests(unit.session, [request_id])
    request = repo.get_visible(unit.session, unit.principal, request_id)
    check_if_match(if_match, request.version)
    before = repo.to_public(request)
    accept = body.decision == RequestDecision.accept
    repo.decide(unit.session, unit.principal, request, accept, body.note)
    after = repo.to_public(request)
    unit.audit("accept" if accept else "decline", "capacity_request", request.id, before=before, after=after)
    _publish(unit, "request.accepted" if accept else "request.declined", request)
    return unit.commit(after)


@use_case
def withdraw_request(unit: Unit, *, request_id: int, if_match: str | None = None) -> CapacityRequestPublic:
    """The requesting state takes back its proposed request (closed)."""
    locks.lock_requests(unit.session, [request_id])
    request = repo.get_visible(unit.session, unit.principal, request_id)
    check_if_match(if_match, request.version)
    before = repo.to_public(request)
    repo.withdraw(unit.session, unit.principal, request)
    after = repo.to_public(request)
    unit.audit("withdraw", "capacity_request", request.id, before=before, after=after)
    _publish(unit, "request.withdrawn", request)
    return unit.commit(after)


def _publish(unit: Unit, type: str, request: CapacityRequest) -> None:
    """An event of a state's request: the state sees it, and HQ."""
    payload = {
        "request_id": request.id,
        "title": request.title,
        "mission": request.mission,
        "requested_by_state": request.requested_by_state,
        "requested_by": request.requested_by,
        "status": request.status,
        "decision_note": request.decision_note,
    }
    state = request.requested_by_state
    hooks.publish(unit, type, state=state, entity="capacity_request", entity_id=request.id, payload=payload)


@use_case
def update_request(
    unit: Unit, *, request_id: int, body: CapacityRequestUpdate, if_match: str | None
) -> CapacityRequestPublic:
    """Change a request's fields or status unless If-Match is stale (412); live deployments it breaks are flagged."""
    locks.lock_requests(unit.session, [request_id])
    request = repo.get_visible(unit.session, unit.principal, request_id)

    def change() -> None:
        repo.update(unit.session, unit.principal, request, body)
        hooks.announce(unit, requests=[request_id])

    return unit.update(request, entity="capacity_request", if_match=if_match, public=repo.to_public, change=change)


@use_case
def add_position(unit: Unit, *, request_id: int, body: PositionCreate) -> PositionPublic:
    """Add a position to a request."""
    request = repo.get_visible(unit.session, unit.principal, request_id)
    repo.check_writable(unit.principal, request)
    position = repo.add_position(unit.session, request, body)
    public = repo.position_public(position)
    unit.audit("create", "position", position.id, after=public)
    return unit.commit(public, status=201)


@use_case
def update_position(
    unit: Unit, *, request_id: int, position_id: int, body: PositionUpdate, if_match: str | None
) -> PositionPublic:
    """Change a position, validated merged as a new one would be, unless If-Match is stale (412); live deployments
    it breaks are flagged."""
    locks.lock_requests(unit.session, [request_id])
    request = repo.get_visible(unit.session, unit.principal, request_id)
    repo.check_writable(unit.principal, request)
    position = repo.get_position(request, position_id)

    def change() -> None:
        repo.update_position(unit.session, request, position, body)
        hooks.announce(unit, positions=[position_id])

    return unit.update(position, entity="position", if_match=if_match, public=repo.position_public, change=change)


@use_case
def delete_position(unit: Unit, *, request_id: int, position_id: int) -> None:
    """Remove a position from a request."""
    request = repo.get_visible(unit.session, unit.principal, request_id)
    repo.check_writable(unit.principal, request)
    position = repo.get_position(request, position_id)
    _remove_position(unit, request, position)
    unit.commit(None)


@dataclass(frozen=True)
class PositionEdit:
    """A position of an edit as a whole: new (no id), removed, or stored with the values posted for it."""

    index: int
    position_id: int | None
    remove: bool
    values: dict


class PositionRejected(Exception):
    """The position at ``index`` of an edit could not be applied, for ``cause``."""

    def __init__(self, index: int, cause: ValidationError | RosterError) -> None:
        super().__init__(index, cause)
        self.index, self.cause = index, cause


@use_case
def edit_request(
    unit: Unit,
    *,
    request_id: int,
    version: str | None,
    request_changes: Callable[[CapacityRequestPublic], dict],
    positions: Iterable[PositionEdit],
    position_changes: Callable[[PositionPublic, dict], dict],
) -> CapacityRequestPublic:
    """Apply an edit as a whole in one transaction: the request's changes, then each position in turn."""
    locks.lock_requests(unit.session, [request_id])
    stored = repo.get_visible(unit.session, unit.principal, request_id)
    repo.check_writable(unit.principal, stored)
    if str(stored.version) != str(version):
        raise PreconditionFailed(
            "someone changed this request since you opened it: reload the page and make your change again"
        )
    before = repo.to_public(stored)
    if changed := request_changes(before):
        repo.update(unit.session, unit.principal, stored, CapacityRequestUpdate.model_validate(changed))
    for edit in positions:
        try:
            _edit_position(unit, stored, edit, position_changes)
        except (ValidationError, RosterError) as exc:
            raise PositionRejected(edit.index, exc) from exc
    after = repo.to_public(stored)
    if after != before:
        unit.audit("update", "capacity_request", stored.id, before=before, after=after)
        hooks.announce(unit, requests=[request_id])
    return unit.commit(after)


def _edit_position(
    unit: Unit, stored: CapacityRequest, edit: PositionEdit, changes: Callable[[PositionPublic, dict], dict]
) -> None:
    if edit.position_id is None:
        position = repo.add_position(unit.session, stored, PositionCreate.model_validate(edit.values))
        unit.audit("create", "position", position.id, after=repo.position_public(position))
        return
    position = repo.get_position(stored, edit.position_id)
    if edit.remove:
        _remove_position(unit, stored, position)
        return
    before = repo.position_public(position)
    if changed := changes(before, edit.values):
        repo.update_position(unit.session, stored, position, PositionUpdate.model_validate(changed))
        unit.audit("update", "position", position.id, before=before, after=repo.position_public(position))


def _remove_position(unit: Unit, request: CapacityRequest, position: Position) -> None:
    unit.audit("delete", "position", position.id, before=repo.position_public(position))
    request.positions.remove(position)
    repo.touch(request)
