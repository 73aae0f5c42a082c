"""Use cases of calls for nominations: HQ opens and ends calls, Member States nominate and withdraw, HQ records
assessment stages and turns nominations down. Every change audited and sent as an event."""

from datetime import date

from sqlmodel import Session

from schemas.enums import CallStatus, NominationStatus
from schemas.nominations import (
    CallCancel,
    CallCreate,
    CallPublic,
    CallsPublic,
    NominationCreate,
    NominationDecision,
    NominationPublic,
    NominationsPublic,
    StageResultCreate,
    StageResultPublic,
    StageResultsPublic,
)
from schemas.roster import PositionPublic
from service.nominations import repository as repo
from service.nominations.events import call_event, nomination_event
from service.platform import hooks, locks
from service.platform.auth import Principal
from service.platform.errors import Conflict
from service.platform.tables import Nomination
from service.platform.unit import Unit
from service.platform.usecase import use_case


@use_case
def open_call(unit: Unit, *, body: CallCreate, today: date | None = None) -> CallPublic:
    """A new open call on some positions of a request, audited; the invited states are told (`call.opened`)."""
    call = repo.create_call(unit.session, unit.principal, body, today or date.today())
    public = repo.call_public(unit.session, unit.principal, call)
    unit.audit("create", "nomination_call", call.id, after=public)
    call_event(unit.session, call, "call.opened", public, repo.call_states(unit.session, call.id))
    return unit.commit(public, status=201)


def list_calls(session: Session, *, principal: Principal, filters: dict, limit: int, offset: int) -> CallsPublic:
    """Calls, the latest first; a Member State's: the open ones it is invited to."""
    data, count = repo.list_calls(session, principal, filters, limit, offset)
    return CallsPublic(data=data, count=count)


def get_call(session: Session, *, principal: Principal, call_id: int) -> CallPublic:
    """One call (404 for a state not invited, as for a missing one)."""
    return repo.call_public(session, principal, repo.get_call(session, principal, call_id))


@use_case
def close_call(unit: Unit, *, call_id: int) -> CallPublic:
    """Close an open call: no more nominations; the invited states are told (`call.closed`)."""
    return _end(unit, call_id, CallStatus.closed, reason=None)


@use_case
def cancel_call(unit: Unit, *, call_id: int, body: CallCancel) -> CallPublic:
    """Cancel an open call with a reason (e.g. the request was stood down); the invited states are told."""
    return _end(unit, call_id, CallStatus.cancelled, reason=body.reason)


def _end(unit: Unit, call_id: int, status: CallStatus, reason: str | None) -> CallPublic:
    call = repo.get_call(unit.session, unit.principal, call_id)
    before = repo.call_public(unit.session, unit.principal, call)
    if not repo.end_call(unit.session, call, status, unit.principal.name):
        raise Conflict(f"call {call_id} is already {call.status.value}: only an open call can be closed or cancelled")
    after = repo.call_public(unit.session, unit.principal, call)
    unit.audit(
        "cancel" if status == CallStatus.cancelled else "close",
        "nomination_call",
        call_id,
        before=before,
        after=after.model_dump(mode="json") | {"reason": reason},
    )
    call_event(unit.session, call, "call.closed", after, repo.call_states(unit.session, call_id), reason=reason)
    return unit.commit(after)


@use_case
def nominate(unit: Unit, *, call_id: int, body: NominationCreate, today: date | None = None) -> NominationPublic:
    """A Member State nominates its own active expert, or its own live offer, for a position of an open call."""
    call = repo.get_call(unit.session, unit.principal, call_id, for_share=True)
    row = repo.create_nomination(unit.session, unit.principal, call, body, today or date.today())
    public = repo.nomination_public(unit.session, row)
    unit.audit("create", "nomination", row.id, after=public)
    nomination_event(unit.session, row, "nomination.submitted", public)
    return unit.commit(public, status=201)


def list_nominations(
    session: Session, *, principal: Principal, filters: dict, limit: int, offset: int
) -> NominationsPublic:
    """Nominations matching ``filters``; a Member State's own only."""
    data, count = repo.list_nominations(session, principal, filters, limit, offset)
    return NominationsPublic(data=data, count=count)


def get_nomination(session: Session, *, principal: Principal, nomination_id: int) -> NominationPublic:
    """One nomination with its stages (404 for another state's, as for a missing one)."""
    return repo.nomination_public(session, repo.get_nomination(session, principal, nomination_id))


@use_case
def withdraw(unit: Unit, *, nomination_id: int, today: date | None = None) -> NominationPublic:
    """The state withdraws its nomination while it is still `nominated`, up to the call's deadline."""
    row = repo.get_nomination(unit.session, unit.principal, nomination_id)
    call = repo.get_call(unit.session, unit.principal, row.call_id)
    if row.status != NominationStatus.nominated:
        raise Conflict(
            f"nomination {nomination_id} is {row.status.value}: only a nomination still open can be withdrawn"
        )
    day = today or date.today()
    if day > call.deadline:
        raise Conflict(f"the deadline of call {call.id} was {call.deadline}: nominations can no longer be withdrawn")
    return _move(unit, row, NominationStatus.withdrawn, "withdraw", "nomination.withdrawn")


@use_case
def decide(unit: Unit, *, nomination_id: int, body: NominationDecision) -> NominationPublic:
    """HQ or a planner turns a nomination down (`not_selected`), with a note the state reads."""
    row = repo.get_nomination(unit.session, unit.principal, nomination_id)
    return _move(unit, row, NominationStatus(body.decision.value), "decide", "nomination.decided", body.note)


def _move(
    unit: Unit, row: Nomination, status: NominationStatus, action: str, event: str, note: str = ""
) -> NominationPublic:
    """A nomination moved on from `nominated`, audited and sent as an event; 409 if it had moved already. Under
    the supplier's booking lock, which an approval holds from its check to its commit: a withdrawal either comes
    first (the approval's check then finds no nomination) or finds the nomination selected."""
    locks.lock_suppliers(unit.session, [row.supplier_key])
    before = repo.nomination_public(unit.session, row)
    if not repo.change_status(unit.session, row, status, unit.principal.name, note):
        raise Conflict(
            f"nomination {row.id} is {row.status.value}: it can no longer be {status.value.replace('_', ' ')}"
        )
    after = repo.nomination_public(unit.session, row)
    unit.audit(action, "nomination", row.id, before=before, after=after)
    nomination_event(unit.session, row, event, after)
    return unit.commit(after)


@use_case
def record_stage(
    unit: Unit, *, nomination_id: int, body: StageResultCreate, today: date | None = None
) -> StageResultPublic:
    """HQ records a stage result (kept as history; the latest per stage counts); the state is told, and the live
    deployments of the nominee are checked again (a failed stage puts them at risk)."""
    row = repo.get_nomination(unit.session, unit.principal, nomination_id)
    locks.lock_suppliers(unit.session, [row.supplier_key])
    result = repo.add_stage_result(unit.session, unit.principal, row, body, today or date.today())
    hooks.announce(
        unit, experts=[row.expert_id] if row.expert_id else [], offers=[row.offer_id] if row.offer_id else []
    )
    unit.audit("assess", "nomination_stage_result", result.id, after=result)
    payload = {"stage": result.stage, "result": result.result, "assessed_on": result.assessed_on}
    nomination_event(unit.session, row, "nomination.assessed", repo.nomination_public(unit.session, row), **payload)
    return unit.commit(result, status=201)


def list_stages(session: Session, *, principal: Principal, nomination_id: int) -> StageResultsPublic:
    """Every stage result of a nomination, the latest first (404 for another state's nomination)."""
    repo.get_nomination(session, principal, nomination_id)
    data = repo.stage_results(session, nomination_id)
    return StageResultsPublic(data=data, count=len(data))


def call_positions(session: Session, *, principal: Principal, call_id: int) -> list[PositionPublic]:
    """The positions of a call the caller may see, with what each needs."""
    repo.get_call(session, principal, call_id)
    return repo.call_positions(session, call_id)
