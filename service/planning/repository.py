"""Plans: the public views of jobs, assignments, unfilled seats and alternatives."""

from sqlalchemy import func
from sqlmodel import Session, select

from schemas.ids import SeatId, SupplierId
from schemas.instance import Instance
from schemas.plan import Plan as SolverPlan
from schemas.planning import (
    AlternativePublic,
    AlternativesPublic,
    AssignmentPublic,
    PlanPublic,
    UnfilledPublic,
)
from service.platform.errors import Conflict, Invalid, not_found
from service.deployments.repository import suppliers
from service.platform.tables import CapacityRequest, Expert, Offer, Plan, PlanAssignment, PlanUnfilled, Position



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
    rows = session.exec(select(Position, CapacityRequest).join(CapacityRequest)
                        .where(Position.id.in_(position_ids))).all()
    return {p.id: (p, r) for p, r in rows}


def assignments(session: Session, plan: Plan, conditions: list) -> list[AssignmentPublic]:
    rows = session.exec(select(PlanAssignment).where(PlanAssignment.plan_id == plan.id, *conditions)
                        .order_by(PlanAssignment.position_id, PlanAssignment.seat)).all()
    context = _context(session, {a.position_id for a in rows})
    known = suppliers(session, [SupplierId.of(a.expert_id, a.offer_id) for a in rows])
    return [
        AssignmentPublic(
            **a.model_dump(exclude={"expert_id", "offer_id", "supplier_key"}),
            position_title=context[a.position_id][0].title, request_id=context[a.position_id][1].id,
            mission=context[a.position_id][1].mission, supplier=known[SupplierId.of(a.expert_id, a.offer_id)],
        )
        for a in rows
    ]


def unfilled(session: Session, plan: Plan) -> list[UnfilledPublic]:
    rows = session.exec(select(PlanUnfilled).where(PlanUnfilled.plan_id == plan.id)
                        .order_by(PlanUnfilled.position_id, PlanUnfilled.seat)).all()
    context = _context(session, {u.position_id for u in rows})
    return [
        UnfilledPublic(position_id=u.position_id, position_title=context[u.position_id][0].title,
                       request_id=context[u.position_id][1].id, mission=context[u.position_id][1].mission,
                       seat=u.seat, reason=u.reason, detail=u.detail)
        for u in rows
    ]


def alternatives(session: Session, plan: Plan, position_id: int, seat: int | None, k: int) -> AlternativesPublic:
    """The best k suppliers for a seat, scored against the stored plan, without a solve."""
    import solver

    if plan.result is None or plan.instance is None:
        raise Conflict(f"plan {plan.id} is {plan.status}: alternatives exist once it succeeded")
    instance = Instance.model_validate_json(plan.instance)
    result = SolverPlan.model_validate_json(plan.result)
    seats = [s.id for s in instance.positions if SeatId.parse(s.id).position == position_id]
    if not seats:
        raise not_found(f"position in plan {plan.id}", position_id)
    seat_id = str(SeatId(position_id, seat)) if seat else _first_unfilled(result, seats)
    if seat_id not in seats:
        raise not_found(f"seat of position {position_id} in plan {plan.id}", seat)
    current = next((a.supplier_id for a in result.assignments if a.position_id == seat_id), None)
    options = solver.alternatives(instance, result, seat_id, k)
    ids = [SupplierId.parse(s) for s in [o.supplier_id for o in options] + [current] if s]
    known = suppliers(session, ids)
    data = [AlternativePublic(supplier=known[SupplierId.parse(o.supplier_id)], score=o.score, total=o.total,
                              displaces=o.displaces) for o in options]
    return AlternativesPublic(position_id=position_id, seat=SeatId.parse(seat_id).seat,
                              current=known[SupplierId.parse(current)] if current else None, data=data,
                              count=len(data))


def _first_unfilled(result: SolverPlan, seats: list[str]) -> str:
    filled = {a.position_id for a in result.assignments}
    return next((s for s in seats if s not in filled), seats[0])


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

