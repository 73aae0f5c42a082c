"""The only bridge between database rows and the solver: rows → Instance, Plan → rows.

Seats: a position of count n becomes seats 1 … n (``schemas.ids.SeatId``); seats already held by
a live deployment are left out (the deployment blocks its supplier's time instead), unless the plan
replaces that deployment because it is at risk.
Suppliers: an expert or an offer (``schemas.ids.SupplierId``; an offer's slots numbered from 1).
Candidates: a plan takes the roster, the nominations or both (``CandidatePool``); a seat that takes nominees
only is ``nominated_only``, and every seat lists its position's live nominees with their latest stage results.
"""

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlmodel import Session

from schemas import instance as si
from schemas.enums import GRADE_RANK, AssessmentResult, CandidatePool, ReviewStatus
from schemas.ids import SeatId, SupplierId
from schemas.plan import Plan as SolverPlan
from service.planning import repository as repo
from service.planning import scoring
from service.platform.tables import (
    CapacityRequest,
    Expert,
    Offer,
    PlanAssignment,
    PlanUnfilled,
    Position,
    stored_id,
)
from service.reference import credentials


@dataclass
class Scope:
    request_ids: list[int] | None = None
    horizon_start: date | None = None
    horizon_end: date | None = None


@dataclass
class Seats:
    """Seat id → (position, seat number), and the positions the instance covers."""

    by_id: dict[str, tuple[Position, int]] = field(default_factory=dict)

    def seat_id(self, position_id: int, seat: int) -> str:
        return str(SeatId(position_id, seat))


def supplier_id(expert_id: int | None, offer_id: int | None) -> str:
    return str(SupplierId.of(expert_id, offer_id))


def _grade(grade: str | None) -> int | None:
    return GRADE_RANK.get(grade) if grade else None


def expert_of(e: Expert) -> si.Expert:
    windows: dict[str, list[si.DateRange]] = {"available": [], "leave": []}
    for w in e.windows:
        windows[w.kind].append(si.DateRange(start=w.start, end=w.end))
    return si.Expert(
        id=supplier_id(e.id, None),
        nationality=e.nationality,
        gender=e.gender,
        category=e.category,
        source=e.source,
        skills={s.code: s.proficiency for s in e.skills},
        languages={lang.code: lang.level for lang in e.languages},
        levels=[lv.level for lv in e.levels],
        grade=_grade(e.grade),
        notice_days=e.notice_days,
        availability=windows["available"],
        leave=windows["leave"],
        credentials={c.code: c.expires_on for c in e.credentials},
        member_state=e.state,
    )


def active_roster(session: Session) -> list[si.Expert]:
    """The solver's view of every active expert (``build_instance`` takes it ready-made from a caller that keeps it
    while the roster's version stands still: the gap report)."""
    return [expert_of(e) for e in repo.active_experts(session)]


def offer_of(o: Offer) -> si.Offer:
    return si.Offer(
        id=supplier_id(None, o.id),
        state=o.state,
        kind=o.kind,
        slots=o.slots,
        category=o.category,
        skills={s["code"]: s["proficiency"] for s in o.skills},
        languages={lang["code"]: lang["level"] for lang in o.languages},
        levels=o.levels,
        available_from=o.available_from,
        available_to=o.available_to,
        max_duration_days=o.max_duration_days,
        notice_days=o.notice_days,
        readiness=o.readiness,
        excluded_missions=o.excluded_missions,
        excluded_states=o.excluded_states,
        credentials={c.code: c.expires_on for c in o.credentials},
    )


@dataclass
class Candidacy:
    """Who may take the seats of some positions: those taking nominees only, and each position's nominees."""

    nominated_only: set[int] = field(default_factory=set)
    nominees: dict[int, list[si.Nominee]] = field(default_factory=dict)


def candidacy(session: Session, position_ids: set[int], pool: CandidatePool) -> Candidacy:
    """``roster``: no seat is nominations-only; ``nominations``: every seat is; ``both``: the seats of positions
    under a call (not cancelled). Nominees: the live nominations, each with the latest result of every stage."""
    if pool == CandidatePool.nominations:
        only = set(position_ids)
    elif pool == CandidatePool.both:
        only = repo.positions_under_call(session, position_ids)
    else:
        only = set()
    nominations = repo.live_nominations(session, position_ids)
    latest: dict[int, dict[str, AssessmentResult]] = {}
    for row in repo.stage_results(session, {stored_id(n.id) for n in nominations}):
        latest.setdefault(row.nomination_id, {})[row.stage] = row.result  # oldest first: the latest wins
    nominees: dict[int, list[si.Nominee]] = {}
    for n in nominations:
        results = latest.get(stored_id(n.id), {})
        nominees.setdefault(n.position_id, []).append(
            si.Nominee(
                supplier_id=supplier_id(n.expert_id, n.offer_id),
                passed=sorted(s for s, r in results.items() if r == AssessmentResult.passed),
                failed=sorted(s for s, r in results.items() if r == AssessmentResult.failed),
            )
        )
    return Candidacy(only, nominees)


def seat_of(
    p: Position, r: CapacityRequest, seat_id: str, host_states: list[str], candidates: Candidacy | None = None
) -> si.Position:
    candidates = candidates or Candidacy()
    return si.Position(
        id=seat_id,
        request_id=str(r.id),
        mission=r.mission,
        host_states=host_states,
        priority=r.priority,
        deploy_by=r.deploy_by,
        benchmark=r.benchmark,
        level=p.level or r.level,
        category=p.category,
        grade_min=_grade(p.grade_min),
        grade_max=_grade(p.grade_max),
        required_skills={s["code"]: s["min_proficiency"] for s in p.required_skills},
        desired_skills={s["code"]: s["min_proficiency"] for s in p.desired_skills},
        languages={lang["code"]: lang["min_level"] for lang in p.languages},
        start=p.start_date,
        end=p.end_date,
        group=f"R{r.id}:{p.group}" if p.group else None,
        all_or_nothing=p.all_or_nothing,
        same_offer=p.same_offer,
        stages=p.assessment_stages,
        nominated_only=p.id in candidates.nominated_only,
        nominees=candidates.nominees.get(stored_id(p.id), []),
        credentials=p.required_credentials,
    )


def build_instance(
    session: Session,
    *,
    today: date,
    scope: Scope,
    parameters: si.Parameters,
    pool: CandidatePool = CandidatePool.roster,
    parent_plan_id: int | None = None,
    pins: Sequence[dict[str, Any]] = (),
    replacing: Collection[int] = (),
    roster: Sequence[si.Expert] | None = None,
) -> tuple[si.Instance, Seats]:
    """The solver's view of the open positions in scope and everyone who might fill them (``replacing``:
    deployments at risk whose seats count as open, and whose suppliers' time counts as free)."""
    rows = repo.open_positions(session, scope.request_ids, scope.horizon_start, scope.horizon_end, bool(replacing))
    live = [d for d in repo.live_deployments(session) if not (d.id in replacing and d.at_risk_since is not None)]
    taken = {(d.position_id, d.seat) for d in live}
    hosts = repo.host_states(session)
    candidates = candidacy(session, {stored_id(p.id) for p, _ in rows}, pool)
    seats = Seats()
    positions = []
    for p, r in rows:
        for n in range(1, p.count + 1):
            if (p.id, n) not in taken:
                sid = seats.seat_id(p.id, n)
                seats.by_id[sid] = (p, n)
                positions.append(seat_of(p, r, sid, repo.hosts_of(r, hosts), candidates))
    offers = repo.open_offers(session, today)
    position_ids = {p.id for p, _ in rows}
    instance = si.Instance(
        today=today,
        experts=list(roster) if roster is not None else active_roster(session),
        offers=[offer_of(o) for o in offers],
        positions=positions,
        deployments=[
            si.Deployment(supplier_id=supplier_id(d.expert_id, d.offer_id), start=d.start_date, end=d.end_date)
            for d in live
        ],
        forbidden=_forbidden(session, position_ids, seats),
        parameters=parameters,
        credential_names=credentials.names(session),
    )
    if parent_plan_id is not None:
        instance.pins, instance.previous = _carried_over(session, parent_plan_id, seats, instance)
        # a rejection forbids the supplier on every seat of the position, but a pinned seat keeps its pin: one
        # slot of a team rejected beside another slot pinned must not make the re-solve infeasible
        kept = {(p.position_id, p.supplier_id) for p in instance.pins}
        instance.forbidden = [f for f in instance.forbidden if (f.position_id, f.supplier_id) not in kept]
    _pin_by_planner(instance, seats, pins)
    return instance, seats


def _pin_by_planner(instance: si.Instance, seats: Seats, pins: Sequence[dict[str, Any]]) -> None:
    """The planner's pins win over what the parent plan held in those seats, and over old rejections."""
    chosen = {seats.seat_id(p["position_id"], p["seat"]): p["supplier"] for p in pins}
    chosen = {seat: supplier for seat, supplier in chosen.items() if seat in seats.by_id}
    if not chosen:
        return
    instance.pins = [p for p in instance.pins if p.position_id not in chosen]
    instance.previous = [p for p in instance.previous if p.position_id not in chosen]
    instance.forbidden = [f for f in instance.forbidden if chosen.get(f.position_id) != f.supplier_id]
    instance.pins += [si.Pin(position_id=seat, supplier_id=supplier) for seat, supplier in chosen.items()]


def _forbidden(session: Session, position_ids: set[int], seats: Seats) -> list[si.ForbiddenPair]:
    rejected = repo.forbidden_pairs(session, position_ids)
    by_position: dict[int, list[str]] = {}
    for sid, (p, _) in seats.by_id.items():
        by_position.setdefault(p.id, []).append(sid)
    return [
        si.ForbiddenPair(position_id=sid, supplier_id=f.supplier)
        for f in rejected
        for sid in by_position.get(f.position_id, [])
    ]


def _carried_over(session: Session, plan_id: int, seats: Seats, instance: si.Instance):
    """Pins (kept) and the previous proposals (changed as little as possible) of the parent plan."""
    known = {s.id for s in instance.experts} | {o.id for o in instance.offers}
    rows = repo.undecided_assignments(session, plan_id)
    pins, previous = [], []
    for a in rows:
        sid, supplier = seats.seat_id(a.position_id, a.seat), supplier_id(a.expert_id, a.offer_id)
        if sid not in seats.by_id or supplier not in known:
            continue
        previous.append(si.PreviousAssignment(position_id=sid, supplier_id=supplier))
        if a.review == ReviewStatus.pinned:
            pins.append(si.Pin(position_id=sid, supplier_id=supplier))
    return pins, previous


def provisional(instance: si.Instance, result: SolverPlan) -> dict[str, list[str]]:
    """Seat id → the stages its proposed supplier has not yet passed: a provisional plan's proposal (or a pin, which
    the rules do not bind)."""
    seats = {p.id: p for p in instance.positions}
    out = {}
    for a in result.assignments:
        seat = seats[a.position_id]
        mine = next((n for n in seat.nominees if n.supplier_id == a.supplier_id), None)
        pending = [s.value for s in seat.stages if mine is None or s not in mine.passed]
        if pending:
            out[a.position_id] = pending
    return out


def plan_rows(plan_id: int, result: SolverPlan, seats: Seats) -> tuple[list[PlanAssignment], list[PlanUnfilled]]:
    """The solver's plan as rows of the plan tables."""
    assignments = []
    for a in result.assignments:
        position, seat = seats.by_id[a.position_id]
        supplier = SupplierId.parse(a.supplier_id)
        assignments.append(
            PlanAssignment(
                plan_id=plan_id,
                position_id=position.id,
                seat=seat,
                expert_id=supplier.expert,
                offer_id=supplier.offer,
                slot=a.slot,
                supplier_key=supplier.booking_key(a.slot),
                start_date=position.start_date,
                end_date=position.end_date,
                score=a.score,
                total=scoring.total(a.score),
                review=ReviewStatus.pinned if a.pinned else ReviewStatus.proposed,
            )
        )
    unfilled = []
    for u in result.unfilled:
        position, seat = seats.by_id[u.position_id]
        unfilled.append(
            PlanUnfilled(
                plan_id=plan_id, position_id=position.id, seat=seat, reason=u.reason, detail=u.model_dump(mode="json")
            )
        )
    return assignments, unfilled
