"""Approvals checked again by the rows as they are today: the basis of the check, and the words of a refusal.

The rules are the solver's own, asked through ``checks.seat_problems``; what is here is what an approval needs
around them: today's date, the plan's rest gap and its seats as it saw them, once per review; the 409 that
names every refused approval and every rule it breaks; and the record of a reason that overrode breakable ones.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlmodel import Session

from schemas import instance as si
from schemas.enums import CandidatePool, Readiness
from schemas.ids import SeatId, SupplierId
from service.deployments import repository as deployments
from service.planning import checks, jobs
from service.planning import repository as repo
from service.platform.errors import Conflict
from service.platform.tables import Deployment, Plan, PlanAssignment, Position

ELSEWHERE = "reject the assignment or choose another supplier from the seat's alternatives"
TAILS = {  # what a refusal ends with, by whether its problems are breakable
    frozenset({True}): "Approve with an override reason to accept the breakable ones.",
    frozenset({False}): ELSEWHERE.capitalize() + ".",
    frozenset({True, False}): f"An override reason accepts the others; where none does, {ELSEWHERE}.",
}


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
    min_readiness: Readiness = Readiness.pledged
    pool: CandidatePool = CandidatePool.roster
    provisional: bool = False

    @classmethod
    def of(cls, plan: Plan) -> "Basis":
        seats = si.Instance.model_validate_json(plan.instance).positions if plan.instance else []
        parameters, options = jobs.solver_parameters(plan)
        return cls(
            datetime.now(UTC).date(),
            parameters.rest_days,
            {p.id: p for p in seats},
            parameters.min_readiness,
            jobs.candidate_pool(options),
            parameters.provisional,
        )

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
            min_readiness=self.min_readiness,
            pool=self.pool,
            provisional=self.provisional,
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


def override(session: Session, deployment: Deployment, reason: str | None, problems: list[checks.Problem]) -> dict:
    rules = [{"rule": p.rule, "detail": p.words} for p in problems]
    deployment.override_reason, deployment.overridden_rules = reason, rules
    session.add(deployment)
    return {"reason": reason, "rules": rules}


def refused(session: Session, refused: list[Refusal]) -> Conflict:
    """409 naming, in plain words, every rule each refused approval breaks and whether a reason can override it."""
    names = deployments.suppliers(session, [r.supplier for r in refused])
    sentences = [r.words(names[r.supplier].name) for r in refused]
    breakable = {p.breakable for r in refused for p in r.problems}
    sentences.append(TAILS[frozenset(breakable)])
    refusals = [r.as_json(names[r.supplier].name) for r in refused]
    clashes = [d for r in refused for d in r.clashes]
    headers = {"X-Conflicting-Deployment": str(clashes[0])} if clashes else None
    return Conflict(" ".join(sentences), headers, more={"refused": refusals})


def deployed(problems: list[checks.Problem]) -> bool:
    return any(p.rule == "deployed" for p in problems)
