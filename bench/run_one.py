"""One measured run in a fresh process: python -m bench.run_one METHOD INSTANCE.json TIME_LIMIT.

Prints one JSON line: the plan's figures, its checker violations and the peak memory.
Wall time is end to end: from the instance's JSON text to the plan, with the modules already
imported (as in the service, which imports the solver once).
"""

import json
import resource
import sys
import time
from pathlib import Path


def _method(method: str):
    """Import the method's modules before the clock starts, as a long-running service would have them."""
    if method == "cpsat":
        import ortools.sat.python.cp_model

        from solver import solve

        return lambda inst, limit: solve(inst, time_limit=limit, workers=2, seed=0)
    if method == "resolve":
        import ortools.sat.python.cp_model  # noqa: F401

        from solver import solve

        return lambda inst, limit: solve(inst, time_limit=limit, workers=2, seed=0)
    if method == "greedy":
        from solver import greedy

        return lambda inst, limit: greedy(inst)
    if method == "highs":
        import highspy  # noqa: F401

        from bench.highs import solve_highs

        return solve_highs
    raise SystemExit(f"unknown method {method}")


def _withdraw(inst, solve, time_limit: float, share: float = 0.05) -> tuple[str, dict]:
    """Solve, then withdraw a seeded 5 % of the experts and hand the plan over as the previous one."""
    import random

    from schemas.instance import PreviousAssignment

    first = solve(inst, time_limit)
    gone = {e.id for e in random.Random(0).sample(inst.experts, int(share * len(inst.experts)))}
    inst.experts = [e for e in inst.experts if e.id not in gone]
    inst.deployments = [d for d in inst.deployments if d.supplier_id not in gone]
    inst.previous = [
        PreviousAssignment(position_id=a.position_id, supplier_id=a.supplier_id) for a in first.assignments
    ]
    forced = sum(1 for a in first.assignments if a.supplier_id in gone)
    return inst.model_dump_json(), {"forced": forced}


def run(method: str, path: str, time_limit: float) -> dict:
    from schemas.instance import Instance

    solve = _method(method)
    text = Path(path).read_text()
    extra = {}
    if method == "resolve":
        text, extra = _withdraw(Instance.model_validate_json(text), solve, time_limit)
    t0 = time.perf_counter()
    inst = Instance.model_validate_json(text)
    plan = solve(inst, time_limit)
    wall = time.perf_counter() - t0
    from solver import check

    return extra | {
        "changes": plan.objectives.stability,
        "method": method,
        "status": plan.status.value,
        "filled": len(plan.assignments),
        "positions": len(inst.positions),
        "priority": plan.objectives.priority,
        "fit": plan.objectives.fit,
        "bound": plan.best_bound if method != "greedy" else None,
        "gap": plan.gap if method != "greedy" else None,
        "wall": round(wall, 3),
        "peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "candidates": plan.model.candidates,
        "violations": check(inst, plan),
    }


if __name__ == "__main__":
    print(json.dumps(run(sys.argv[1], sys.argv[2], float(sys.argv[3]))))
