"""Plans: every query of the planning domain (jobs, assignments, unfilled seats, review), and their public views."""

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, or_, text, update
from sqlmodel import Session, col, select

from schemas.enums import (
    CallStatus,
    DeploymentStatus,
    OfferStatus,
    PlanStatus,
    RequestStatus,
    ReviewStatus,
)
from schemas.ids import SeatId, SupplierId
from schemas.planning import AssignmentPublic, PlanPublic, UnfilledPublic
from service.deployments.repository import LIVE, suppliers
from service.nominations.repository import LIVE_NOMINATIONS
from service.platform.errors import Conflict, Invalid, not_found
from service.platform.tables import (
    CapacityRequest,
    Deployment,
    Expert,
    ForbiddenPair,
    Mission,
    Nomination,
    NominationCall,
    NominationCallPosition,
    NominationStageResult,
    Offer,
    Plan,
    PlanAssignment,
    PlanUnfilled,
    Position,
    stored_id,
)
from service.requests.repository import DECISION_STATUSES, OPEN_STATUSES


def to_public(plan: Plan) -> PlanPublic:
    return PlanPublic.model_validate(plan.model_dump())


def get(session: Session, plan_id: int) -> Plan:
    plan = session.get(Plan, plan_id)
    if plan is None:
        raise not_found("plan", plan_id)
    return plan


def list_plans(session: Session, limit: int, offset: int):
    count = session.exec(select(func.count()).select_from(Plan)).one()
    rows = session.exec(select(Plan).order_by(Plan.id.desc()).limit(limit).offset(offset)).all()
    return [to_public(p) for p in rows], count


def _context(session: Session, position_ids: set[int]) -> dict[int, tuple[Position, CapacityRequest]]:
    rows = session.exec(
        select(Position, CapacityRequest).join(CapacityRequest).where(Position.id.in_(position_ids))
    ).all()
    return {stored_id(p.id): (p, r) for p, r in rows}


def assignments(
    session: Session, plan: Plan, conditions: Sequence[Any] = (), *, review: ReviewStatus | None = None
) -> list[AssignmentPublic]:
    if review is not None:
        conditions = [*conditions, PlanAssignment.review == review]
    rows = session.exec(
        select(PlanAssignment)
        .where(PlanAssignment.plan_id == plan.id, *conditions)
        .order_by(PlanAssignment.position_id, PlanAssignment.seat)
    ).all()
    context = _context(session, {a.position_id for a in rows})
    known = suppliers(session, [SupplierId.of(a.expert_id, a.offer_id) for a in rows])
    provisional = (plan.summary or {}).get("provisional", {})
    return [
        AssignmentPublic(
            **a.model_dump(exclude={"expert_id", "offer_id", "supplier_key"}),
            position_title=context[a.position_id][0].title,
            request_id=context[a.position_id][1].id,
            mission=context[a.position_id][1].mission,
            supplier=known[SupplierId.of(a.expert_id, a.offer_id)],
            provisional=provisional.get(str(SeatId(a.position_id, a.seat)), []),
        )
        for a in rows
    ]


def unfilled(session: Session, plan: Plan) -> list[UnfilledPublic]:
    rows = session.exec(
        select(PlanUnfilled)
        .where(PlanUnfilled.plan_id == plan.id)
        .order_by(PlanUnfilled.position_id, PlanUnfilled.seat)
    ).all()
    context = _context(session, {u.position_id for u in rows})
    return [
        UnfilledPublic(
            position_id=u.position_id,
            position_title=context[u.position_id][0].title,
            request_id=context[u.position_id][1].id,
            mission=context[u.position_id][1].mission,
            seat=u.seat,
            reason=u.reason,
            detail=u.detail,
        )
        for u in rows
    ]


def check_pins(session: Session, pins: list) -> None:
    """Every pinned seat exists and every pinned supplier is on the roster (active expert or offer)."""
    for i, pin in enumerate(pins):
        position = session.get(Position, pin.position_id)
        if position is None:
            raise Invalid(f"pins.{i}.position_id", f"position {pin.position_id} does not exist")
        if pin.seat > position.count:
            raise Invalid(f"pins.{i}.seat", f"position {pin.position_id} has {position.count} seat(s), not {pin.seat}")
        supplier = SupplierId.parse(pin.supplier)
        found = session.get(Expert, supplier.expert) if supplier.expert else session.get(Offer, supplier.offer)
        if found is None or (supplier.expert and not found.active):
            raise Invalid(f"pins.{i}.supplier", f"{pin.supplier} is not an active expert or an offer on the roster")


def check_replaced(session: Session, ids: list[int]) -> None:
    """Every deployment a plan would replace is live and at risk."""
    for i, deployment_id in enumerate(ids):
        d = session.get(Deployment, deployment_id)
        if d is None or d.status not in LIVE:
            raise Invalid(f"replace_deployments.{i}", f"deployment {deployment_id} is not a live deployment")
        if d.at_risk_since is None:
            raise Conflict(
                f"deployment {deployment_id} is not at risk: it keeps its seat; see GET /deployments?at_risk=true"
            )


def live_in_seat(session: Session, position_id: int, seat: int) -> Deployment | None:
    """The live deployment holding a seat, if any."""
    return session.exec(
        select(Deployment).where(
            Deployment.position_id == position_id, Deployment.seat == seat, Deployment.status.in_(LIVE)
        )
    ).first()


def add(session: Session, plan: Plan) -> None:
    """A new plan row, flushed so it has its id."""
    session.add(plan)
    session.flush()


def request_ids_found(session: Session, ids: list[int]) -> set[int]:
    """Which of these capacity request ids exist."""
    return set(session.exec(select(CapacityRequest.id).where(CapacityRequest.id.in_(ids))).all())


def requests_awaiting_or_declined(session: Session, ids: list[int]) -> dict[RequestStatus, list[int]]:
    """Of these requests, those proposed (awaiting HQ) and those declined, by status."""
    rows = session.exec(
        select(CapacityRequest.status, CapacityRequest.id)
        .where(CapacityRequest.id.in_(ids), CapacityRequest.status.in_(DECISION_STATUSES))
        .order_by(CapacityRequest.id)
    ).all()
    found: dict[RequestStatus, list[int]] = {}
    for status, request_id in rows:
        found.setdefault(RequestStatus(status), []).append(request_id)
    return found


def requests_by_id(session: Session, ids: set[int]) -> dict[int, CapacityRequest]:
    return {stored_id(r.id): r for r in session.exec(select(CapacityRequest).where(CapacityRequest.id.in_(ids))).all()}


def capacity_request(session: Session, request_id: int) -> CapacityRequest | None:
    return session.get(CapacityRequest, request_id)


def position(session: Session, position_id: int) -> Position | None:
    return session.get(Position, position_id)


def offer(session: Session, offer_id: int) -> Offer | None:
    return session.get(Offer, offer_id)


def holder(session: Session, plan: Plan, position_id: int, seat: int) -> AssignmentPublic | None:
    """The assignment that holds a seat in a plan, if any."""
    current = session.exec(
        select(PlanAssignment).where(
            PlanAssignment.plan_id == plan.id, PlanAssignment.position_id == position_id, PlanAssignment.seat == seat
        )
    ).first()
    return assignments(session, plan, [PlanAssignment.id == current.id])[0] if current else None


def assignment_rows(session: Session, plan: Plan, ids: list[int]) -> Sequence[PlanAssignment]:
    """The rows of these assignments that belong to the plan (unknown ids are left out)."""
    return session.exec(
        select(PlanAssignment).where(PlanAssignment.plan_id == plan.id, PlanAssignment.id.in_(ids))
    ).all()


def forbidden_pair(session: Session, position_id: int, supplier: str) -> ForbiddenPair | None:
    return session.exec(
        select(ForbiddenPair).where(ForbiddenPair.position_id == position_id, ForbiddenPair.supplier == supplier)
    ).first()


def deployment_for_update(session: Session, deployment_id: int) -> Deployment | None:
    """A deployment, locked until the transaction ends (PostgreSQL), read afresh."""
    statement = select(Deployment).where(Deployment.id == deployment_id).execution_options(populate_existing=True)
    if session.get_bind().dialect.name == "postgresql":
        statement = statement.with_for_update()
    return session.exec(statement).first()


def deployment_statuses(session: Session, ids: set[int]) -> dict[int, DeploymentStatus]:
    """The status of each of these deployments, by id."""
    return dict(session.exec(select(Deployment.id, Deployment.status).where(Deployment.id.in_(ids))).all())


def claimable(session: Session, now: datetime, *, lock: bool) -> Plan | None:
    """The oldest queued plan, or running one whose lease ran out; ``lock``: FOR UPDATE SKIP LOCKED."""
    statement = (
        select(Plan)
        .where(
            or_(
                Plan.status == PlanStatus.queued,
                (col(Plan.status) == PlanStatus.running) & (col(Plan.lease_expires_at) < now),
            )
        )
        .order_by(Plan.id)
        .limit(1)
    )
    if lock:
        statement = statement.with_for_update(skip_locked=True)
    return session.exec(statement).first()


def locked(session: Session, plan_id: int, *, lock: bool) -> Plan:
    """The plan, ``lock``: FOR UPDATE, so no other worker writes it before this transaction ends."""
    statement = select(Plan).where(Plan.id == plan_id)
    if lock:
        statement = statement.with_for_update()
    return session.exec(statement).one()


def take_turns_superseding(session: Session) -> None:
    """Plans finishing at once supersede one at a time (PostgreSQL; SQLite runs one writer at a time): the
    second sees the first succeeded, so two plans over the same requests never both stay current."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(hashtext('plan superseding'))"))


def current_plans(session: Session, *, other_than: int) -> list:
    """Succeeded plans no newer plan replaced (but ``other_than``): id, request_ids and horizon of each."""
    return list(
        session.exec(
            select(col(Plan.id), col(Plan.request_ids), col(Plan.horizon_start), col(Plan.horizon_end)).where(
                Plan.status == PlanStatus.succeeded, Plan.superseded_by.is_(None), Plan.id != other_than
            )
        ).all()
    )


def supersede(session: Session, ids: list[int], *, newest: int) -> None:
    """These plans, and those they had replaced, are now replaced by ``newest`` (the chain stays flat)."""
    session.exec(update(Plan).where(or_(Plan.id.in_(ids), Plan.superseded_by.in_(ids))).values(superseded_by=newest))


def superseded_by(session: Session, plan_id: int) -> int | None:
    """The plan that replaced this one, read under a share lock (PostgreSQL): a plan being superseded waits
    for the decisions in flight on it, and a decision waits for the plan superseding it."""
    statement = select(Plan.superseded_by).where(Plan.id == plan_id)
    if session.get_bind().dialect.name == "postgresql":
        statement = statement.with_for_update(read=True)
    return session.exec(statement).one()


def queued_count(session: Session) -> int:
    return session.exec(select(func.count()).select_from(Plan).where(Plan.status == PlanStatus.queued)).one()


def open_positions(
    session: Session,
    request_ids: list[int] | None,
    horizon_start: date | None,
    horizon_end: date | None,
    filled_too: bool = False,
) -> list[tuple[Position, CapacityRequest]]:
    """The positions of open requests in scope (these requests, overlapping the horizon), with their request;
    ``filled_too``: filled requests as well (a seat at risk there may be filled again)."""
    statuses = (*OPEN_STATUSES, RequestStatus.filled) if filled_too else OPEN_STATUSES
    statement = (
        select(Position, CapacityRequest)
        .join(CapacityRequest, Position.request_id == CapacityRequest.id)
        .where(CapacityRequest.status.in_(statuses))
    )
    if request_ids is not None:
        statement = statement.where(CapacityRequest.id.in_(request_ids))
    if horizon_start is not None:
        statement = statement.where(Position.end_date >= horizon_start)
    if horizon_end is not None:
        statement = statement.where(Position.start_date <= horizon_end)
    return list(session.exec(statement.order_by(Position.id)).all())


def live_deployments(session: Session) -> Sequence[Deployment]:
    return session.exec(select(Deployment).where(Deployment.status.in_(LIVE))).all()


def expert(session: Session, expert_id: int) -> Expert | None:
    return session.get(Expert, expert_id)


def live_deployments_of(session: Session, supplier: SupplierId, other_than: int | None = None) -> list[Deployment]:
    """The supplier's planned or active deployments (all slots of an offer), but ``other_than``."""
    column = Deployment.expert_id if supplier.expert is not None else Deployment.offer_id
    statement = select(Deployment).where(column == supplier.number, Deployment.status.in_(LIVE))
    if other_than is not None:
        statement = statement.where(Deployment.id != other_than)
    return list(session.exec(statement).all())


def request_hosts(session: Session, request: CapacityRequest) -> list[str]:
    """The host states of a request: its mission's, or the requesting state itself outside a mission."""
    mission = session.get(Mission, request.mission) if request.mission is not None else None
    return hosts_of(request, {mission.code: mission.host_states} if mission is not None else {})


def hosts_of(request: CapacityRequest, hosts: dict[str, list[str]]) -> list[str]:
    """A request's host states, from each mission's (``hosts``): outside a mission, the state that asked (its own
    nationals are not sent to advise their own government)."""
    if request.mission is None:
        return [request.requested_by_state] if request.requested_by_state else []
    return list(hosts.get(request.mission, []))


def host_states(session: Session) -> dict[str, list[str]]:
    """Each mission's host states, by mission code."""
    return {m.code: m.host_states for m in session.exec(select(Mission)).all()}


def active_experts(session: Session) -> Sequence[Expert]:
    return session.exec(select(Expert).where(Expert.active == True).order_by(Expert.id)).all()  # noqa: E712


def open_offers(session: Session, today: date) -> Sequence[Offer]:
    """Offers submitted or accepted that have not expired by ``today``."""
    return session.exec(
        select(Offer)
        .where(Offer.status.in_((OfferStatus.submitted, OfferStatus.accepted)), Offer.expires_on >= today)
        .order_by(Offer.id)
    ).all()


def forbidden_pairs(session: Session, position_ids: set[int]) -> Sequence[ForbiddenPair]:
    return session.exec(select(ForbiddenPair).where(ForbiddenPair.position_id.in_(position_ids))).all()


def positions_under_call(session: Session, position_ids: set[int]) -> set[int]:
    """The positions that a call for nominations (open or closed, not cancelled) lists."""
    if not position_ids:
        return set()
    rows = session.exec(
        select(NominationCallPosition.position_id)
        .join(NominationCall, col(NominationCall.id) == NominationCallPosition.call_id)
        .where(col(NominationCallPosition.position_id).in_(position_ids), NominationCall.status != CallStatus.cancelled)
    ).all()
    return set(rows)


def live_nominations(session: Session, position_ids: set[int]) -> Sequence[Nomination]:
    """The nominations still standing (nominated or selected) for these positions."""
    if not position_ids:
        return []
    return session.exec(
        select(Nomination)
        .where(col(Nomination.position_id).in_(position_ids), col(Nomination.status).in_(LIVE_NOMINATIONS))
        .order_by(Nomination.id)
    ).all()


def stage_results(session: Session, nomination_ids: set[int]) -> Sequence[NominationStageResult]:
    """The stage results of these nominations, oldest first (so that the last one per stage is the latest)."""
    if not nomination_ids:
        return []
    return session.exec(
        select(NominationStageResult)
        .where(col(NominationStageResult.nomination_id).in_(nomination_ids))
        .order_by(NominationStageResult.assessed_on, NominationStageResult.recorded_at, NominationStageResult.id)
    ).all()


def undecided_assignments(session: Session, plan_id: int) -> Sequence[PlanAssignment]:
    """A plan's assignments still proposed or pinned (neither approved nor rejected)."""
    return session.exec(
        select(PlanAssignment).where(
            PlanAssignment.plan_id == plan_id,
            or_(PlanAssignment.review == ReviewStatus.proposed, PlanAssignment.review == ReviewStatus.pinned),
        )
    ).all()


def live_deployments_touching(
    session: Session, *, experts: set[int], offers: set[int], positions: set[int], requests: set[int]
) -> list[Deployment]:
    """The live deployments of these experts or offers, or in these positions or requests."""
    touching = [
        column.in_(ids)
        for column, ids in (
            (Deployment.expert_id, experts),
            (Deployment.offer_id, offers),
            (Deployment.position_id, positions),
            (Deployment.request_id, requests),
        )
        if ids
    ]
    if not touching:
        return []
    statement = select(Deployment).where(Deployment.status.in_(LIVE), or_(*touching)).order_by(Deployment.id)
    return list(session.exec(statement).all())
