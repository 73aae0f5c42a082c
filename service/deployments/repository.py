"""Deployments: created by approvals, never double-booked, with a lifecycle that frees time on cancel."""

from collections.abc import Iterable
from datetime import date, timedelta

from sqlalchemy import String, cast, func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from schemas.enums import DEPLOYMENT_TRANSITIONS, LIVE_DEPLOYMENT, DeploymentStatus, RequestStatus, Role, Source
from schemas.ids import SupplierId
from schemas.planning import DeploymentPublic, DeploymentUpdate, Supplier
from service.notifications.outbox import emit
from service.platform import locks
from service.platform.auth import Principal
from service.platform.errors import Conflict, Invalid
from service.platform.queries import get_scoped, page
from service.platform.settings import get_settings
from service.platform.tables import CapacityRequest, Deployment, Expert, Offer, OutboxEvent, Position, utcnow

NEXT = DEPLOYMENT_TRANSITIONS  # the database's trigger is written from the same table (migration 0011)
ROLLUP_STATUSES = (RequestStatus.submitted, RequestStatus.planning, RequestStatus.partly_filled, RequestStatus.filled)


LIVE = LIVE_DEPLOYMENT  # awaiting consent holds the seat and the time, as planned does
STATE_DECIDES = (DeploymentStatus.planned, DeploymentStatus.declined)  # from awaiting_consent: the state's answer


def suppliers(session: Session, ids: Iterable[SupplierId]) -> dict[SupplierId, Supplier]:
    """Names and states of many suppliers in two column queries (no ORM objects, no child collections)."""
    ids = set(ids)
    expert_ids = {s.expert for s in ids if s.expert is not None}
    offer_ids = {s.offer for s in ids if s.offer is not None}
    experts = (
        {
            i: (name, state)
            for i, name, state in session.exec(
                select(Expert.id, Expert.full_name, Expert.state).where(Expert.id.in_(expert_ids))
            ).all()
        }
        if expert_ids
        else {}
    )
    offers = (
        {
            i: (title, state)
            for i, title, state in session.exec(
                select(Offer.id, Offer.title, Offer.state).where(Offer.id.in_(offer_ids))
            ).all()
        }
        if offer_ids
        else {}
    )
    found = {}
    for s in ids:
        name, state = (experts if s.kind == "expert" else offers).get(s.number, ("(removed)", None))
        found[s] = Supplier(id=str(s), kind=s.kind, name=name, state=state)
    return found


def to_public(session: Session, d: Deployment, known: dict[SupplierId, Supplier] | None = None) -> DeploymentPublic:
    key = SupplierId.of(d.expert_id, d.offer_id)
    found = (known if known is not None else suppliers(session, [key]))[key]
    return DeploymentPublic(**d.model_dump(), supplier=found)


def scope(statement, principal: Principal):
    """Member States see the deployments of their own experts and offers."""
    if principal.role == Role.member_state:
        return statement.where(Deployment.contributing_state == principal.state)
    return statement


def get_visible(session: Session, principal: Principal, deployment_id: int) -> Deployment:
    return get_scoped(session, Deployment, deployment_id, principal, scope, "deployment")


def conditions(
    *,
    mission: str | None = None,
    expert_id: int | None = None,
    offer_id: int | None = None,
    request_id: int | None = None,
    state: str | None = None,
    status: DeploymentStatus | None = None,
    active_from: date | None = None,
    active_to: date | None = None,
    at_risk: bool | None = None,
) -> list:
    """The filters of the deployment list as query conditions (``state``: the contributing Member State)."""
    found = [
        getattr(Deployment, name) == value
        for name, value in {
            "mission": mission,
            "expert_id": expert_id,
            "offer_id": offer_id,
            "request_id": request_id,
            "contributing_state": state,
            "status": status,
        }.items()
        if value is not None
    ]
    if active_from is not None:  # overlapping the period; an end left out leaves it open
        found.append(Deployment.end_date >= active_from)
    if active_to is not None:
        found.append(Deployment.start_date <= active_to)
    if at_risk is not None:
        flagged = Deployment.at_risk_since.is_not(None) & Deployment.status.in_(LIVE)
        found.append(flagged if at_risk else ~flagged)
    return found


def ending(start: date, end: date) -> list:
    """Conditions: live deployments ending between ``start`` and ``end``."""
    return [Deployment.status.in_(LIVE), Deployment.end_date >= start, Deployment.end_date <= end]


def due_for_reminder(session: Session, start: date, end: date) -> list[Deployment]:
    """Live deployments ending between ``start`` and ``end`` with no ``deployment.ending_soon`` event yet."""
    announced = select(OutboxEvent.entity_id).where(OutboxEvent.type == "deployment.ending_soon")
    return list(
        session.exec(select(Deployment).where(*ending(start, end), cast(Deployment.id, String).not_in(announced))).all()
    )


def list_deployments(session: Session, principal: Principal, conditions: list, limit: int, offset: int):
    order = (Deployment.start_date, Deployment.id)
    rows, count = page(session, Deployment, principal, scope, conditions, order, limit, offset)
    known = suppliers(session, [SupplierId.of(d.expert_id, d.offer_id) for d in rows])
    return [to_public(session, d, known) for d in rows], count


def conflicting(session: Session, key: str, start: date, end: date) -> Deployment | None:
    """A live deployment of the same person (or offer slot) overlapping the period."""
    return session.exec(
        select(Deployment).where(
            Deployment.supplier_key == key,
            Deployment.status.in_(LIVE),
            Deployment.start_date <= end,
            Deployment.end_date >= start,
        )
    ).first()


def _double_booked(d: Deployment) -> Conflict:
    return Conflict(
        f"{d.supplier_key} is already deployed from {d.start_date} to {d.end_date} "
        f"(deployment {d.id}); cancel that deployment or choose someone else",
        headers={"X-Conflicting-Deployment": str(d.id)},
    )


def _free_slot(session: Session, offer: Offer, start: date, end: date) -> int:
    for slot in range(1, offer.slots + 1):
        if conflicting(session, SupplierId(offer=offer.id).booking_key(slot), start, end) is None:
            return slot
    raise Conflict(f"all {offer.slots} slots of offer {offer.id} are deployed between {start} and {end}")


def create(
    session: Session,
    *,
    position: Position,
    seat: int,
    expert_id: int | None,
    offer_id: int | None,
    plan_id: int | None,
    assignment_id: int | None,
    approved_by: str,
) -> Deployment:
    """A new deployment, planned or (a Member State's expert or offer) awaiting its consent; 409 if the seat is
    taken or the supplier is busy at that time."""
    taken = session.exec(
        select(Deployment).where(
            Deployment.position_id == position.id, Deployment.seat == seat, Deployment.status.in_(LIVE)
        )
    ).first()
    if taken is not None:
        raise Conflict(
            f"seat {seat} of position {position.id} is already filled by deployment {taken.id}",
            headers={"X-Conflicting-Deployment": str(taken.id)},
        )
    request = session.get(CapacityRequest, position.request_id)
    supplier = SupplierId.of(expert_id, offer_id)
    _take_turns(session, str(supplier))
    offer = session.get(Offer, offer_id) if offer_id is not None else None
    slot = _free_slot(session, offer, position.start_date, position.end_date) if offer else 1
    key = supplier.booking_key(slot)
    clash = conflicting(session, key, position.start_date, position.end_date)
    if clash is not None:
        raise _double_booked(clash)
    expert = session.get(Expert, expert_id) if offer is None else None
    state = offer.state if offer else expert.state
    due = consent_due(offer, expert)
    deployment = Deployment(
        position_id=position.id,
        request_id=request.id,
        seat=seat,
        expert_id=expert_id,
        offer_id=offer_id,
        slot=slot,
        supplier_key=key,
        contributing_state=state,
        mission=request.mission,
        start_date=position.start_date,
        end_date=position.end_date,
        plan_id=plan_id,
        assignment_id=assignment_id,
        approved_by=approved_by,
        status=DeploymentStatus.awaiting_consent if due else DeploymentStatus.planned,
        consent_due_on=due,
    )
    try:
        with session.begin_nested():
            session.add(deployment)
    except IntegrityError:
        clash = conflicting(session, key, position.start_date, position.end_date)
        raise (_double_booked(clash) if clash else Conflict("the seat or the supplier was just taken")) from None
    rollup(session, position, request, offer)
    _announce_approval(session, deployment)
    return deployment


def consent_due(offer: Offer | None, expert: Expert | None, today: date | None = None) -> date | None:
    """The day the contributing state's consent is due, or None when none is needed: every offer is a state's;
    an expert is when a state owns the record, unless a standing-capacity officer (UN staff have no state)."""
    standing = expert is not None and expert.source == Source.standing_capacity
    needed = offer is not None or (expert is not None and expert.state is not None and not standing)
    return (today or date.today()) + timedelta(days=get_settings().consent_days) if needed else None


def _take_turns(session: Session, supplier: str) -> None:
    """Bookings of one supplier wait for each other until their transactions end (PostgreSQL; SQLite
    runs one writer at a time). Then each sees the others' committed deployments and answers 409
    naming the one it clashes with; inserting at once instead, two would each wait on the other's
    row in the double-booking constraint, and PostgreSQL would end the deadlock with an error."""
    locks.lock_suppliers(session, [supplier])


def lock_supplier(session: Session, supplier: SupplierId) -> None:
    """Take the supplier's booking lock before checking a booking against the rows: a roster or offer
    change takes it too, so either the approval sees the change or the change sees the deployment."""
    locks.lock_suppliers(session, [str(supplier)])


def lock_request(session: Session, request_id: int) -> None:
    """Take the request's lock (before the supplier's): a change to the request or its positions takes it too."""
    locks.lock_requests(session, [request_id])


def _announce_approval(session: Session, d: Deployment) -> None:
    """Tell the contributing state; its offer's status stays as it was (only an explicit change moves it)."""
    payload = {
        "deployment_id": d.id,
        "mission": d.mission,
        "position_id": d.position_id,
        "start_date": d.start_date,
        "end_date": d.end_date,
        "supplier": d.supplier_key,
    }
    emit(
        session,
        "deployment.approved",
        state=d.contributing_state,
        entity="deployment",
        entity_id=d.id,
        payload=payload | {"status": d.status},
    )
    if d.status == DeploymentStatus.awaiting_consent:
        asked = payload | {"consent_due_on": d.consent_due_on, "path": f"/deployments/{d.id}/consent"}
        emit(
            session,
            "deployment.consent_requested",
            state=d.contributing_state,
            entity="deployment",
            entity_id=d.id,
            payload=asked,
        )


def rollup(session: Session, position: Position, request: CapacityRequest, offer: Offer | None) -> None:
    """Bring the position's fill, the request's status and the offer's slots in line with live deployments."""
    session.flush()
    live = Deployment.status.in_(LIVE)
    position.filled = session.exec(
        select(func.count()).select_from(Deployment).where(Deployment.position_id == position.id, live)
    ).one()
    session.add(position)
    if request.status in ROLLUP_STATUSES:
        positions = session.exec(select(Position).where(Position.request_id == request.id)).all()
        if all(p.filled >= p.count for p in positions):
            request.status = RequestStatus.filled
        elif any(p.filled for p in positions):
            request.status = RequestStatus.partly_filled
        elif request.status in (RequestStatus.partly_filled, RequestStatus.filled):
            request.status = RequestStatus.planning
        request.version += 1
        request.updated_at = utcnow()
        session.add(request)
    if offer is not None:
        offer.slots_used = session.exec(
            select(func.count(func.distinct(Deployment.slot))).where(Deployment.offer_id == offer.id, live)
        ).one()
        offer.version += 1
        session.add(offer)


def change(session: Session, deployment: Deployment, body: DeploymentUpdate) -> None:
    """A planner's update: a lifecycle step and/or a note (confirming or declining is the state's, see consent)."""
    current = DeploymentStatus(deployment.status)
    if current == DeploymentStatus.awaiting_consent and body.status in STATE_DECIDES:
        raise Conflict(
            f"deployment {deployment.id} is awaiting the consent of {deployment.contributing_state}: the state "
            f"confirms or declines it (POST /deployments/{deployment.id}/consent, HQ may record its answer); "
            "a planner may only cancel it"
        )
    if body.status is not None:
        transition(session, deployment, body.status)
    if body.note is not None and body.note != deployment.note:
        deployment.note = body.note
        deployment.version += 1
        deployment.updated_at = utcnow()
        session.add(deployment)


def transition(session: Session, deployment: Deployment, status: DeploymentStatus) -> None:
    """Along NEXT: awaiting_consent → planned | declined, planned → deployed → completed, or cancelled before
    completion (declined and cancelled free the seat and the time)."""
    current = DeploymentStatus(deployment.status)
    if status == current:
        return
    if status not in NEXT[current]:
        allowed = ", ".join(sorted(NEXT[current])) or "nothing (it is final)"
        raise Invalid("status", f"a {current} deployment can move to {allowed}, not {status}")
    deployment.status = status
    deployment.version += 1
    deployment.updated_at = utcnow()
    session.add(deployment)
    position = session.get(Position, deployment.position_id)
    offer = session.get(Offer, deployment.offer_id) if deployment.offer_id else None
    rollup(session, position, session.get(CapacityRequest, deployment.request_id), offer)
    if status in STATE_DECIDES and current == DeploymentStatus.awaiting_consent:
        return  # the consent's own event says more (deployments/consent.py)
    kind = "deployment.cancelled" if status == DeploymentStatus.cancelled else "deployment.status_changed"
    emit(
        session,
        kind,
        state=deployment.contributing_state,
        entity="deployment",
        entity_id=deployment.id,
        payload={"deployment_id": deployment.id, "status": status, "mission": deployment.mission},
    )
