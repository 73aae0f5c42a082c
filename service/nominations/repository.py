"""Calls for nominations, nominations and stage results: queries, checks, the state scope. No commit."""

from collections.abc import Iterable, Sequence
from datetime import date

import psycopg
from sqlalchemy import exists, or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from schemas.enums import AssessmentStage, CallStatus, DeploymentStatus, NominationStatus, OfferStatus, Role
from schemas.nominations import (
    CallCreate,
    CallPublic,
    NominationCreate,
    NominationPublic,
    StageResultCreate,
    StageResultPublic,
    StageSummary,
)
from schemas.roster import PositionPublic
from service.nominations.events import nomination_event
from service.platform import audit, locks
from service.platform.auth import Principal
from service.platform.errors import Conflict, Invalid, not_found
from service.platform.queries import get_scoped, page, violates
from service.platform.tables import (
    CapacityRequest,
    Deployment,
    Expert,
    Nomination,
    NominationCall,
    NominationCallPosition,
    NominationCallState,
    NominationStageResult,
    Offer,
    Position,
    utcnow,
)
from service.reference.repository import check_states
from service.requests.repository import OPEN_STATUSES, position_public

_LIVE_INDEX = next(i for i in Nomination.__table__.indexes if i.name == "uq_nomination_live")
LIVE_NOMINATIONS = (NominationStatus.nominated, NominationStatus.selected)  # still standing: not withdrawn, not lost

# --- Calls ----------------------------------------------------------------------------------------------


def _invited(state: str | None):
    """The calls a state is invited to: those to every state, and those listing it."""
    listed = exists().where(NominationCallState.call_id == NominationCall.id, NominationCallState.state == state)
    return or_(col(NominationCall.all_states), listed)


def call_scope(statement, principal: Principal):
    """A Member State sees only the calls it is invited to; another's is answered 404 as a missing one."""
    if principal.role == Role.member_state:
        return statement.where(_invited(principal.state))
    return statement


def get_call(session: Session, principal: Principal, call_id: int, *, for_share: bool = False) -> NominationCall:
    """The call, if the caller may see it; ``for_share``: held so that it cannot close while a nomination is made."""
    statement = call_scope(select(NominationCall).where(NominationCall.id == call_id), principal)
    if for_share:
        statement = statement.with_for_update(read=True)
    call = session.exec(statement).first()
    if call is None:
        raise not_found("call", call_id)
    return call


def call_position_ids(session: Session, call_id: int) -> list[int]:
    rows = select(NominationCallPosition.position_id).where(NominationCallPosition.call_id == call_id)
    return list(session.exec(rows.order_by(NominationCallPosition.position_id)).all())


def call_states(session: Session, call_id: int) -> list[str]:
    rows = select(NominationCallState.state).where(NominationCallState.call_id == call_id)
    return list(session.exec(rows.order_by(NominationCallState.state)).all())


def call_public(session: Session, principal: Principal, call: NominationCall) -> CallPublic:
    """The call as its viewer may see it: a Member State sees itself among the invited, never the others."""
    request = session.get(CapacityRequest, call.request_id)
    assert request is not None  # the foreign key cascades
    states: list[str] | None = None
    if not call.all_states:
        states = call_states(session, call.id) if principal.role != Role.member_state else [str(principal.state)]
    return CallPublic(
        **call.model_dump(exclude={"request_id"}),
        request_id=call.request_id,
        request_title=request.title,
        mission=request.mission,
        position_ids=call_position_ids(session, call.id),
        states=states,
    )


def list_calls(session: Session, principal: Principal, filters: dict, limit: int, offset: int):
    """Calls matching ``filters``, the latest first; a Member State's: the open ones it is invited to."""
    conditions = [getattr(NominationCall, name) == value for name, value in filters.items() if value is not None]
    if principal.role == Role.member_state:
        conditions.append(NominationCall.status == CallStatus.open)
        conditions.append(col(NominationCall.request_id).in_(_open_requests()))
    order = (col(NominationCall.id).desc(),)
    rows, count = page(session, NominationCall, principal, call_scope, conditions, order, limit, offset)
    return [call_public(session, principal, c) for c in rows], count


def _open_requests():
    """The ids of the requests still open to planning (a closed or stood-down one's calls take nothing)."""
    return select(CapacityRequest.id).where(col(CapacityRequest.status).in_(OPEN_STATUSES))


def _check_not_called(session: Session, position_ids: list[int]) -> None:
    """A position is in one open call at most: its nominations stay in one place."""
    statement = (
        select(NominationCallPosition.position_id, NominationCall.id)
        .join(NominationCall, col(NominationCall.id) == NominationCallPosition.call_id)
        .where(col(NominationCallPosition.position_id).in_(position_ids), NominationCall.status == CallStatus.open)
    )
    if taken := sorted(session.exec(statement).all()):
        named = ", ".join(f"position {p} (call {c})" for p, c in taken)
        raise Conflict(f"already in an open call: {named}; close or cancel that call first, or leave them out")


def _check_call(session: Session, body: CallCreate, today: date) -> CapacityRequest:
    """The request exists and is open, the positions are its own, the deadline is ahead, the states exist."""
    request = session.get(CapacityRequest, body.request_id)
    if request is None:
        raise Invalid("request_id", f"capacity request {body.request_id} does not exist: see GET /requests")
    if request.status not in OPEN_STATUSES:
        raise Conflict(
            f"request {request.id} is {request.status.value}: calls go to submitted, planning or partly filled requests"
        )
    own = {p.id for p in request.positions}
    if strangers := sorted(set(body.position_ids) - own):
        raise Invalid(
            "position_ids",
            f"position(s) {', '.join(map(str, strangers))} are not positions of request {request.id}: "
            f"see GET /requests/{request.id}/positions",
        )
    if body.deadline < today:
        raise Invalid("deadline", f"deadline {body.deadline} is in the past: give today ({today}) or a later day")
    if body.states:
        check_states(session, "states", body.states)
    _check_not_called(session, body.position_ids)
    return request


def create_call(session: Session, principal: Principal, body: CallCreate, today: date) -> NominationCall:
    """A new open call, its positions and its invited states (none listed: all states); under the request's
    lock, so two calls on one position cannot both pass the check."""
    locks.lock_requests(session, [body.request_id])
    _check_call(session, body, today)
    call = NominationCall(
        request_id=body.request_id,
        deadline=body.deadline,
        all_states=body.states is None,
        note=body.note,
        opened_by=principal.name,
    )
    session.add(call)
    session.flush()
    assert call.id is not None
    session.add_all(NominationCallPosition(call_id=call.id, position_id=p) for p in body.position_ids)
    session.add_all(NominationCallState(call_id=call.id, state=s) for s in body.states or [])
    session.flush()
    return call


def end_call(session: Session, call: NominationCall, status: CallStatus, by: str) -> bool:
    """Close or cancel a call if it is still open (one statement: two at once cannot both end it)."""
    ended = session.execute(
        update(NominationCall)
        .where(col(NominationCall.id) == call.id, col(NominationCall.status) == CallStatus.open)
        .values(status=status, closed_by=by, closed_at=utcnow(), version=NominationCall.version + 1)
    )
    session.refresh(call)
    return ended.rowcount == 1


def due_calls(session: Session, today: date) -> Sequence[NominationCall]:
    """Open calls whose deadline has passed."""
    statement = select(NominationCall).where(
        NominationCall.status == CallStatus.open, col(NominationCall.deadline) < today
    )
    return session.exec(statement.order_by(NominationCall.id)).all()


# --- Nominations ------------------------------------------------------------------------------------------


def nomination_scope(statement, principal: Principal):
    """A Member State sees its own nominations only."""
    if principal.role == Role.member_state:
        return statement.where(Nomination.state == principal.state)
    return statement


def get_nomination(session: Session, principal: Principal, nomination_id: int) -> Nomination:
    return get_scoped(session, Nomination, nomination_id, principal, nomination_scope, "nomination")


def _supplier_names(session: Session, rows: Iterable[Nomination]) -> dict[str, str]:
    rows = list(rows)
    experts = {r.expert_id for r in rows if r.expert_id is not None}
    offers = {r.offer_id for r in rows if r.offer_id is not None}
    names: dict[str, str] = {}
    if experts:
        found = session.exec(select(Expert.id, Expert.full_name).where(col(Expert.id).in_(experts))).all()
        names |= {f"E{i}": name for i, name in found}
    if offers:
        found = session.exec(select(Offer.id, Offer.title).where(col(Offer.id).in_(offers))).all()
        names |= {f"O{i}": title for i, title in found}
    return names


def _required_stages(session: Session, position_ids: Iterable[int]) -> dict[int, list[str]]:
    ids = set(position_ids)
    if not ids:
        return {}
    found = session.exec(select(Position.id, Position.assessment_stages).where(col(Position.id).in_(ids))).all()
    return {int(i): list(stages or []) for i, stages in found}


def _latest_results(session: Session, nomination_ids: Iterable[int]) -> dict[tuple[int, str], NominationStageResult]:
    """The latest result of each (nomination, stage): by the day assessed, then by the order recorded."""
    ids = set(nomination_ids)
    if not ids:
        return {}
    statement = (
        select(NominationStageResult)
        .where(col(NominationStageResult.nomination_id).in_(ids))
        .order_by(NominationStageResult.assessed_on, NominationStageResult.id)
    )
    return {(r.nomination_id, r.stage.value): r for r in session.exec(statement).all()}


def nominations_public(session: Session, rows: Sequence[Nomination]) -> list[NominationPublic]:
    """Nominations with their supplier's name and the latest result of each stage their position requires."""
    names = _supplier_names(session, rows)
    required = _required_stages(session, (r.position_id for r in rows))
    latest = _latest_results(session, (r.id for r in rows if r.id is not None))
    made = _deployments(session, [r for r in rows if r.status == NominationStatus.selected])
    answers = []
    for row in rows:
        stages = []
        for stage in required.get(row.position_id, []):
            result = latest.get((row.id, stage))
            stages.append(
                StageSummary(
                    stage=AssessmentStage(stage),
                    result=result.result if result else None,
                    assessed_on=result.assessed_on if result else None,
                )
            )
        fields = row.model_dump()
        deployment_id, deployment_status = made.get((row.position_id, row.expert_id, row.offer_id), (None, None))
        answers.append(
            NominationPublic(
                **fields,
                supplier_name=names.get(row.supplier_key, row.supplier_key),
                stages=stages,
                deployment_id=deployment_id,
                deployment_status=deployment_status,
            )
        )
    return answers


def _deployments(session: Session, selected: Sequence[Nomination]) -> dict[tuple, tuple[int, DeploymentStatus]]:
    """The latest deployment of each selected nomination's supplier on its position: how the selection stands."""
    if not selected:
        return {}
    statement = (
        select(Deployment.position_id, Deployment.expert_id, Deployment.offer_id, Deployment.id, Deployment.status)
        .where(col(Deployment.position_id).in_({n.position_id for n in selected}))
        .order_by(col(Deployment.id))
    )
    return {(p, e, o): (i, s) for p, e, o, i, s in session.exec(statement).all()}


def nomination_public(session: Session, row: Nomination) -> NominationPublic:
    return nominations_public(session, [row])[0]


def list_nominations(session: Session, principal: Principal, filters: dict, limit: int, offset: int):
    conditions = [getattr(Nomination, name) == value for name, value in filters.items() if value is not None]
    order = (Nomination.call_id, Nomination.position_id, Nomination.id)
    rows, count = page(session, Nomination, principal, nomination_scope, conditions, order, limit, offset)
    return nominations_public(session, rows), count


def _own_supplier(session: Session, state: str, body: NominationCreate) -> tuple[str, int | None, int | None]:
    """(supplier key, expert id, offer id) of the state's own expert or offer that may be nominated."""
    if (expert_id := getattr(body, "expert_id", None)) is not None:
        expert = session.exec(select(Expert).where(Expert.id == expert_id, Expert.state == state)).first()
        if expert is None:
            raise not_found("expert", expert_id)
        if not expert.active:
            raise Conflict(f"expert {expert_id} is inactive: reactivate them (PATCH /experts/{expert_id}) first")
        return f"E{expert_id}", expert_id, None
    offer_id: int = body.offer_id
    offer = session.exec(select(Offer).where(Offer.id == offer_id, Offer.state == state)).first()
    if offer is None:
        raise not_found("offer", offer_id)
    if offer.status == OfferStatus.draft:
        raise Conflict(f"offer {offer_id} is a draft: submit it (PATCH /offers/{offer_id} status submitted) first")
    gone = offer.status in (OfferStatus.withdrawn, OfferStatus.expired)
    if gone or offer.expires_on < date.today():
        why = f"is {offer.status.value}" if gone else f"expired on {offer.expires_on}"
        raise Conflict(f"offer {offer_id} {why}: renew it (PATCH /offers/{offer_id}) before nominating it")
    return f"O{offer_id}", None, offer_id


def check_open(call: NominationCall, today: date, doing: str) -> None:
    """Nominating and withdrawing happen while the call is open, up to its deadline."""
    if call.status != CallStatus.open:
        raise Conflict(f"call {call.id} is {call.status.value}: it takes no more {doing}")
    if today > call.deadline:
        raise Conflict(f"the deadline of call {call.id} was {call.deadline}: it takes no more {doing}")


def create_nomination(
    session: Session, principal: Principal, call: NominationCall, body: NominationCreate, today: date
) -> Nomination:
    """The state's nomination of its own expert or offer to a position of an open call."""
    if body.position_id not in call_position_ids(session, call.id):
        raise Invalid(
            "position_id",
            f"position {body.position_id} is not in call {call.id}: see GET /calls/{call.id} for its position_ids",
        )
    check_open(call, today, "nominations")
    request = session.get(CapacityRequest, call.request_id)
    if request is None or request.status not in OPEN_STATUSES:
        status = request.status.value if request else "gone"
        raise Conflict(f"request {call.request_id} is {status}: its calls take no more nominations")
    state = str(principal.state)
    key, expert_id, offer_id = _own_supplier(session, state, body)
    row = Nomination(
        call_id=call.id,
        position_id=body.position_id,
        state=state,
        expert_id=expert_id,
        offer_id=offer_id,
        supplier_key=key,
        note=body.note,
        created_by=principal.name,
    )
    name = session.get(Expert, expert_id).full_name if expert_id else session.get(Offer, offer_id).title
    taken = f"{name} is already nominated for position {body.position_id}: withdraw that nomination first"
    session.add(row)
    try:  # no look-up beforehand: two nominations at once cannot both pass the index
        session.flush()
    except (IntegrityError, psycopg.IntegrityError) as error:
        if violates(error, _LIVE_INDEX):
            raise Conflict(taken) from error
        raise
    return row


def _live(position_id: int, supplier_key: str):
    return select(Nomination).where(
        Nomination.position_id == position_id,
        Nomination.supplier_key == supplier_key,
        Nomination.status != NominationStatus.withdrawn,
    )


def change_status(session: Session, row: Nomination, status: NominationStatus, by: str, note: str = "") -> bool:
    """Move a nomination on from `nominated` (one statement: of two changes at once, one only takes effect)."""
    now = utcnow()
    values: dict = {"status": status, "version": Nomination.version + 1}
    if status == NominationStatus.withdrawn:
        values["withdrawn_at"] = now
    else:
        values |= {"decided_at": now, "decided_by": by, "decision_note": note}
    changed = session.execute(
        update(Nomination)
        .where(col(Nomination.id) == row.id, col(Nomination.status) == NominationStatus.nominated)
        .values(**values)
    )
    session.refresh(row)
    return changed.rowcount == 1


def acting(name: str) -> Principal:
    """Who acts when no one signed in does: the worker, or the planner named by an approval."""
    return Principal(token_id=None, name=name, role=Role.hq)


def mark_selected(session: Session, *, position_id: int, supplier_key: str, by: str) -> Nomination | None:
    """A planner's approval selects the supplier: its live nomination for the position (if any) becomes
    `selected`, audited and sent to its state (`nomination.decided`). In the caller's transaction."""
    row = live_nomination(session, position_id, supplier_key)
    if row is None:
        return None
    before = nomination_public(session, row)
    if not change_status(session, row, NominationStatus.selected, by):
        return None
    after = nomination_public(session, row)
    audit.record(session, acting(by), "decide", "nomination", row.id, before=before, after=after)
    nomination_event(session, row, "nomination.decided", after)
    return row


def live_nomination(session: Session, position_id: int, supplier_key: str) -> Nomination | None:
    """The nomination of this supplier for this position that is neither withdrawn nor decided, if any."""
    statement = _live(position_id, supplier_key).where(Nomination.status == NominationStatus.nominated)
    return session.exec(statement).first()


# --- Stage results ----------------------------------------------------------------------------------------


def stage_results(session: Session, nomination_id: int) -> list[StageResultPublic]:
    """Every result recorded on a nomination, the latest first."""
    statement = (
        select(NominationStageResult)
        .where(NominationStageResult.nomination_id == nomination_id)
        .order_by(col(NominationStageResult.assessed_on).desc(), col(NominationStageResult.id).desc())
    )
    return [StageResultPublic.model_validate(r.model_dump()) for r in session.exec(statement).all()]


def add_stage_result(
    session: Session, principal: Principal, row: Nomination, body: StageResultCreate, today: date
) -> StageResultPublic:
    """A stage result on a live nomination, for a stage its position requires, assessed by today."""
    position = session.get(Position, row.position_id)
    required = list(position.assessment_stages or []) if position else []
    if body.stage.value not in required:
        listed = ", ".join(required) or "none"
        where = f"/requests/{position.request_id}/positions/{row.position_id}" if position else "/requests"
        raise Invalid(
            "stage",
            f"position {row.position_id} requires these stages: {listed}; {body.stage.value} is not one of them: "
            f"add it to the position's assessment_stages first (see GET {where})",
        )
    if body.assessed_on > today:
        raise Invalid("assessed_on", f"{body.assessed_on} is after today: record a stage once it has been sat")
    if row.status == NominationStatus.withdrawn:
        raise Conflict(f"nomination {row.id} was withdrawn: its candidate sits no more stages")
    result = NominationStageResult(nomination_id=row.id, recorded_by=principal.name, **body.model_dump())
    session.add(result)
    session.flush()
    return StageResultPublic.model_validate(result.model_dump())


def call_positions(session: Session, call_id: int) -> list[PositionPublic]:
    """The positions of a call, with what each needs (for the call's page)."""
    statement = (
        select(Position)
        .join(NominationCallPosition, col(NominationCallPosition.position_id) == Position.id)
        .where(NominationCallPosition.call_id == call_id)
        .order_by(Position.id)
    )
    return [position_public(p) for p in session.exec(statement).all()]
