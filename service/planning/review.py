"""A planner's review of a plan: approve (→ deployment, once the rules hold today), reject (→ forbidden pair), pin."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlmodel import Session

from schemas import instance as si
from schemas.enums import PlanStatus, ReviewStatus
from schemas.ids import SeatId, SupplierId
from schemas.planning import Review, ReviewResult
from service.deployments import repository as deployments
from service.notifications.outbox import emit
from service.planning import checks, jobs
from service.planning import repository as repo
from service.platform import audit
from service.platform.auth import Principal
from service.platform.errors import Conflict, Invalid
from service.platform.tables import Deployment, ForbiddenPair, Plan, PlanAssignment, Position, utcnow

OPEN_DECISIONS = (ReviewStatus.proposed, ReviewStatus.pinned)


def _assignments(session: Session, plan: Plan, ids: list[int]) -> dict[int, PlanAssignment]:
    rows = repo.assignment_rows(session, plan, ids)
    found = {a.id: a for a in rows}
    missing = sorted(set(ids) - found.keys())
    if missing:
        raise Invalid(
            "body", f"assignment(s) {missing} are not part of plan {plan.id}: see GET /plans/{plan.id}/assignments"
        )
    decided = sorted(a.id for a in rows if a.review not in OPEN_DECISIONS)
    if decided:
        raise Conflict(f"assignment(s) {decided} were already approved or rejected")
    return found


def apply(session: Session, plan: Plan, review: Review, principal: Principal) -> ReviewResult:
    """Apply every decision or none: one conflict (409) leaves the whole review uncommitted."""
    if plan.status != PlanStatus.succeeded:
        raise Conflict(f"plan {plan.id} is {plan.status}: only a succeeded plan can be reviewed")
    rows = _assignments(session, plan, review.approve + review.reject + review.pin)
    approving = [rows[aid] for aid in review.approve]
    booked, overridden = _approve_all(session, plan, approving, review.override_reason, principal)
    result = ReviewResult(approved=list(review.approve), rejected=[], pinned=[], deployments=booked)
    for aid in review.reject:
        _reject(session, plan, rows[aid], principal)
        result.rejected.append(aid)
    for aid in review.pin:
        _decide(rows[aid], ReviewStatus.pinned, principal)
        result.pinned.append(aid)
    for a in rows.values():
        session.add(a)
        audit.record(
            session,
            principal,
            ReviewStatus(a.review).value,
            "plan_assignment",
            a.id,
            after={
                "plan_id": plan.id,
                "position_id": a.position_id,
                "seat": a.seat,
                "supplier": a.supplier_key,
                "deployment_id": a.deployment_id,
            }
            | ({"override": overridden[a.id]} if a.id in overridden else {}),
        )
    return result


def _decide(a: PlanAssignment, status: ReviewStatus, principal: Principal) -> None:
    a.review, a.reviewed_by, a.reviewed_at = status, principal.name, utcnow()


@dataclass(frozen=True)
class Refusal:
    """An approval the rules refuse today, and the problems that refuse it."""

    assignment: PlanAssignment
    supplier: SupplierId
    title: str
    problems: list[checks.Problem]
    clashes: list[int]  # the supplier's deployments that the seat's dates (and the rest gap) run into

    def as_json(self, name: str) -> dict:
        a = self.assignment
        return {
            "assignment_id": a.id,
            "supplier": {"id": str(self.supplier), "name": name},
            "position_id": a.position_id,
            "seat": a.seat,
            "problems": [p.as_json() for p in self.problems],
            "conflicting_deployments": self.clashes,
        }

    def words(self, name: str) -> str:
        a, clashes = self.assignment, ", ".join(f"deployment {d}" for d in self.clashes)
        said = []
        for p in self.problems:
            notes = ([clashes] if p.rule == "deployed" and clashes else []) + (
                [] if p.breakable else ["no reason overrides this"]
            )
            said.append(f"{p.words} ({'; '.join(notes)})" if notes else p.words)
        return f"{name} cannot take seat {a.seat} of position {a.position_id} ({self.title}): {'; '.join(said)}."


@dataclass(frozen=True)
class Basis:
    """What each approval of a review is checked against: today (UTC), the plan's rest gap between two
    deployments, and the plan's seats as the solver saw them (by seat id)."""

    today: date
    rest_days: int
    planned: dict[str, si.Position]

    @classmethod
    def of(cls, plan: Plan) -> "Basis":
        seats = si.Instance.model_validate_json(plan.instance).positions if plan.instance else []
        rest_days = jobs.solver_parameters(plan)[0].rest_days
        return cls(datetime.now(UTC).date(), rest_days, {p.id: p for p in seats})

    def problems(
        self, session: Session, a: PlanAssignment, position: Position | None, supplier: SupplierId
    ) -> list[checks.Problem]:
        if position is None:
            return [checks.Problem("position", "the position was removed from its request", False)]
        return checks.seat_problems(
            session,
            position=position,
            seat=a.seat,
            supplier=supplier,
            today=self.today,
            rest_days=self.rest_days,
            approving=True,
            planned=self.planned.get(str(SeatId(a.position_id, a.seat))),
        )

    def clashes(self, session: Session, supplier: SupplierId, position: Position | None) -> list[int]:
        """The supplier's live deployments within the rest gap of the seat's dates, to name in a refusal."""
        if position is None:
            return []
        gap = timedelta(days=self.rest_days)
        start, end = position.start_date - gap, position.end_date + gap
        found = repo.live_deployments_of(session, supplier)
        return sorted(d.id for d in found if d.id is not None and d.start_date <= end and d.end_date >= start)


def _approve_all(
    session: Session, plan: Plan, rows: list[PlanAssignment], reason: str | None, principal: Principal
) -> tuple[list[int], dict[int | None, dict]]:
    """Check each approval by today's rows under its supplier's booking lock, then book it; 409 naming every
    refused one unless a reason is given and all its problems are breakable. The deployments, and the
    overrides by assignment."""
    if not rows:
        return [], {}
    suppliers = {a.id: SupplierId.of(a.expert_id, a.offer_id) for a in rows}
    for supplier in sorted(set(suppliers.values()), key=str):  # one order for all: two reviews never deadlock
        deployments.take_turns(session, supplier)
    basis = Basis.of(plan)
    refused: list[Refusal] = []
    booked: list[int] = []
    overridden: dict[int | None, dict] = {}
    for a in rows:
        position = repo.position(session, a.position_id)
        problems = basis.problems(session, a, position, suppliers[a.id])
        blocking = [p for p in problems if not (reason and p.breakable)]
        if blocking:
            clashes = basis.clashes(session, suppliers[a.id], position) if _deployed(blocking) else []
            title = position.title if position else "removed"
            refused.append(Refusal(a, suppliers[a.id], title, blocking, clashes))
        elif not refused and position is not None:  # once one is refused nothing is written: only checks
            deployment = _approve(session, plan, a, position, principal)
            booked.append(deployment.id)
            if problems:
                overridden[a.id] = _override(session, deployment, reason, problems)
    if refused:
        raise _refused(session, refused)
    return booked, overridden


def _override(session: Session, deployment: Deployment, reason: str | None, problems: list[checks.Problem]) -> dict:
    rules = [{"rule": p.rule, "detail": p.words} for p in problems]
    deployment.override_reason, deployment.overridden_rules = reason, rules
    session.add(deployment)
    return {"reason": reason, "rules": rules}


def _refused(session: Session, refused: list[Refusal]) -> Conflict:
    """409 naming, in plain words, every rule each refused approval breaks and whether a reason can override it."""
    names = deployments.suppliers(session, [r.supplier for r in refused])
    sentences = [r.words(names[r.supplier].name) for r in refused]
    breakable = [p.breakable for r in refused for p in r.problems]
    if all(breakable):
        sentences.append("Approve with an override reason to accept the breakable ones.")
    else:
        sentences.append("Reject the assignment or choose another supplier from the seat's alternatives.")
    refusals = [r.as_json(names[r.supplier].name) for r in refused]
    clashes = [d for r in refused for d in r.clashes]
    headers = {"X-Conflicting-Deployment": str(clashes[0])} if clashes else None
    return Conflict(" ".join(sentences), headers, more={"refused": refusals})


def _deployed(problems: list[checks.Problem]) -> bool:
    return any(p.rule == "deployed" for p in problems)


def _approve(session: Session, plan: Plan, a: PlanAssignment, position: Position, principal: Principal) -> Deployment:
    deployment = deployments.create(
        session,
        position=position,
        seat=a.seat,
        expert_id=a.expert_id,
        offer_id=a.offer_id,
        plan_id=plan.id,
        assignment_id=a.id,
        approved_by=principal.name,
    )
    _decide(a, ReviewStatus.approved, principal)
    a.deployment_id = deployment.id
    return deployment


def _reject(session: Session, plan: Plan, a: PlanAssignment, principal: Principal) -> None:
    _decide(a, ReviewStatus.rejected, principal)
    supplier = str(SupplierId.of(a.expert_id, a.offer_id))
    if repo.forbidden_pair(session, a.position_id, supplier) is None:
        session.add(
            ForbiddenPair(position_id=a.position_id, supplier=supplier, plan_id=plan.id, created_by=principal.name)
        )
    if a.offer_id is not None:
        offer = repo.offer(session, a.offer_id)
        emit(
            session,
            "offer.declined",
            state=offer.state,
            entity="offer",
            entity_id=offer.id,
            payload={"offer_id": offer.id, "title": offer.title, "position_id": a.position_id},
        )
