"""The matching engine: instance in, plan out (see docs/solver.md).

Public API: ``solve``, ``solve_kept`` (a plan and what the next re-solve or question reuses), ``greedy``,
``alternatives``, ``check``, ``eligibility``. OR-Tools is
imported only when ``solve`` runs, so that the checker and the candidate filter
load without it (HiGHS and OR-Tools cannot share one process).
"""

from typing import TYPE_CHECKING

from schemas.instance import Instance
from schemas.plan import Alternative, BrokenRule, Plan
from solver.candidates import broken_rules
from solver.checker import check
from solver.explain import alternatives as _alternatives
from solver.greedy import greedy
from solver.kept import Kept

if TYPE_CHECKING:
    from solver.cpsat import Progress


def solve(
    instance: Instance,
    *,
    time_limit: float | None = None,
    workers: int | None = None,
    seed: int | None = None,
    progress: "Progress" = None,
) -> Plan:
    """Propose a plan: greedy hint, then CP-SAT on the objective levels in strict order."""
    return solve_kept(instance, time_limit=time_limit, workers=workers, seed=seed, progress=progress)[0]


def solve_kept(
    instance: Instance,
    *,
    before: Kept | None = None,
    time_limit: float | None = None,
    workers: int | None = None,
    seed: int | None = None,
    progress: "Progress" = None,
) -> tuple[Plan, Kept]:
    """A plan and what it keeps; ``before``, the kept state of the plan this one re-solves, saves the work that
    the decisions since did not change."""
    from solver.decomposed import solve as _solve

    return _solve(instance, before=before, time_limit=time_limit, workers=workers, seed=seed, progress=progress)


def keep(instance: Instance, plan: Plan) -> Kept:
    """What a plan solved elsewhere keeps, rebuilt once: for a process that answers questions about it."""
    from solver.kept import rebuild

    return rebuild(instance, plan)


def alternatives(
    instance: Instance, plan: Plan, position_id: str, k: int = 5, kept: Kept | None = None
) -> list[Alternative]:
    """The best k suppliers for one position, scored against the plan, with what each displaces (``kept``: the
    plan's kept state, so that nothing is rebuilt)."""
    return _alternatives(instance, plan, position_id, k, structure=kept.structure if kept is not None else None)


def eligibility(instance: Instance, position_id: str, supplier_id: str) -> list[BrokenRule]:
    """Every eligibility rule that keeps one supplier from one seat, in the filter's order ([]: eligible)."""
    return [BrokenRule(rule=rule, detail=detail) for rule, detail in broken_rules(instance, position_id, supplier_id)]


__all__ = ["Instance", "Kept", "Plan", "alternatives", "check", "eligibility", "greedy", "keep", "solve", "solve_kept"]
