"""The planner's pace on one instance, in a fresh process: python -m bench.run_interactive INSTANCE.json TIME_LIMIT.

Prints one JSON line (see ``run``). OR-Tools and the solver are imported before any clock starts, as in a worker
that serves many requests; every wall time is one call of the solver's API on an already parsed instance.
"""

import json
import random
import statistics
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import ortools.sat.python.cp_model  # noqa: F401  (paid once per worker process, never per request)

import solver
from schemas.instance import ForbiddenPair, Instance, Pin, PreviousAssignment
from schemas.plan import Plan

COLD_RUNS, COLD_BUDGET = 3, 30.0  # cold solves: 3 for the median, fewer once they have taken 30 s
DECISIONS = 5  # rejections, and pins, each re-solved from the same cold plan
SEATS = 20  # seats asked for alternatives
PLAIN_BUDGET = 30.0  # seconds for alternatives without the kept structure (a rebuild each): fewer seats past it
LEVELS = ("priority", "fit", "fairness", "spc", "stability")


def _timed(call: Callable[[], Any]) -> tuple[Any, float]:
    t0 = time.perf_counter()
    out = call()
    return out, time.perf_counter() - t0


def _objectives(plan: Plan) -> dict[str, int]:
    return {level: getattr(plan.objectives, level) for level in LEVELS}


def _decided(inst: Instance, plan: Plan, forbid: tuple[str, str] | None, pin: tuple[str, str] | None) -> Instance:
    """The instance after one planner decision, with the plan handed over as the previous one."""
    out = inst.model_copy(deep=True)
    if forbid:
        out.forbidden = [*out.forbidden, ForbiddenPair(position_id=forbid[0], supplier_id=forbid[1])]
    if pin:
        out.pins = [*out.pins, Pin(position_id=pin[0], supplier_id=pin[1])]
    out.previous = [PreviousAssignment(position_id=a.position_id, supplier_id=a.supplier_id) for a in plan.assignments]
    return out


class Run:
    """One instance's measurements; ``problems`` collects checker violations and objective mismatches."""

    def __init__(self, inst: Instance, time_limit: float) -> None:
        self.inst, self.limit = inst, time_limit
        self.problems: list[str] = []
        self.compared = self.equal = 0
        self.status = ""

    def solve(self, inst: Instance, before: solver.Kept | None = None) -> tuple[Plan, solver.Kept, float]:
        (plan, kept), wall = _timed(
            lambda: solver.solve_kept(inst, before=before, time_limit=self.limit, workers=2, seed=0)
        )
        self.checked(inst, plan, "re-solve" if before else "cold solve")
        return plan, kept, wall

    def checked(self, inst: Instance, plan: Plan, what: str) -> None:
        self.problems += [f"{what}: {v}" for v in solver.check(inst, plan)[:5]]

    def cold(self) -> tuple[Plan, solver.Kept, list[float]]:
        plan, kept, wall = self.solve(self.inst)
        walls = [wall]
        while len(walls) < COLD_RUNS and sum(walls) < COLD_BUDGET:
            walls.append(self.solve(self.inst)[2])
        self.status = plan.status.value
        return plan, kept, walls

    def decision(self, plan: Plan, kept: solver.Kept, inst2: Instance, what: str) -> float:
        """Re-solve after the decision from the kept state; solve the same instance cold and compare."""
        plan2, _, wall = self.solve(inst2, before=kept)
        cold2 = solver.solve(inst2, time_limit=self.limit, workers=2, seed=0)
        self.checked(inst2, cold2, f"cold solve after {what}")
        if plan2.status.value == "optimal" and cold2.status.value == "optimal":
            self.compared += 1
            if _objectives(plan2) == _objectives(cold2):
                self.equal += 1
            else:
                self.problems.append(
                    f"OBJECTIVES DIFFER after {what}: re-solve {_objectives(plan2)} vs cold {_objectives(cold2)}"
                )
        return wall


def _seats(plan: Plan, seed: int) -> list[tuple[str, str]]:
    """The plan's assigned, unpinned seats with their holders, in a seeded order."""
    seats = sorted((a.position_id, a.supplier_id) for a in plan.assignments if not a.pinned)
    random.Random(seed).shuffle(seats)
    return seats


def _pins(inst: Instance, plan: Plan, kept: solver.Kept) -> list[tuple[str, str]]:
    """Up to DECISIONS seats, each with a seeded eligible supplier that does not hold it (from ``alternatives``)."""
    rng, out = random.Random(2), []
    for position_id, holder in _seats(plan, 1):
        others = [a.supplier_id for a in solver.alternatives(inst, plan, position_id, 5, kept=kept)]
        others = [s for s in others if s != holder]
        if others:
            out.append((position_id, rng.choice(others)))
        if len(out) == DECISIONS:
            break
    return out


def _alternatives(inst: Instance, plan: Plan, kept: solver.Kept) -> tuple[list[float], list[float]]:
    """Seconds per seat with the kept structure, and without it (a rebuild each, within PLAIN_BUDGET)."""
    with_kept: list[float] = []
    plain: list[float] = []
    for pid, _ in _seats(plan, 3)[:SEATS]:
        with_kept.append(_timed(partial(solver.alternatives, inst, plan, pid, 5, kept=kept))[1])
        if sum(plain) <= PLAIN_BUDGET:
            plain.append(_timed(partial(solver.alternatives, inst, plan, pid, 5))[1])
    return with_kept, plain


def run(path: str, time_limit: float) -> dict[str, Any]:
    inst = Instance.model_validate_json(Path(path).read_text())
    r = Run(inst, time_limit)
    plan, kept, cold = r.cold()
    rejects = [
        r.decision(plan, kept, _decided(inst, plan, seat, None), f"rejecting {seat[1]} on {seat[0]}")
        for seat in _seats(plan, 0)[:DECISIONS]
    ]
    pins = [
        r.decision(plan, kept, _decided(inst, plan, None, seat), f"pinning {seat[1]} to {seat[0]}")
        for seat in _pins(inst, plan, kept)
    ]
    with_kept, plain = _alternatives(inst, plan, kept)
    return {
        "status": r.status,
        "filled": len(plan.assignments),
        "cold": cold,
        "reject": rejects,
        "pin": pins,
        "alt_kept": statistics.median(with_kept) if with_kept else None,
        "alt_plain": statistics.median(plain) if plain else None,
        "alt_seats": [len(with_kept), len(plain)],
        "compared": r.compared,
        "equal": r.equal,
        "problems": r.problems,
    }


if __name__ == "__main__":
    print(json.dumps(run(sys.argv[1], float(sys.argv[2]))))
