"""One measured run in a fresh process: python -m bench.run_one METHOD INSTANCE.json TIME_LIMIT.

Prints one JSON line: the plan's figures, its checker violations and the peak memory.
Wall time is end to end: instance JSON read and validated, plan out.
"""

import json
import resource
import sys
import time
from pathlib import Path


def run(method: str, path: str, time_limit: float) -> dict:
    t0 = time.perf_counter()
    from schemas.instance import Instance

    inst = Instance.model_validate_json(Path(path).read_text())
    if method == "cpsat":
        from solver import solve

        plan = solve(inst, time_limit=time_limit, workers=2, seed=0)
    elif method == "greedy":
        from solver import greedy

        plan = greedy(inst)
    elif method == "highs":
        from bench.highs import solve_highs

        plan = solve_highs(inst, time_limit)
    else:
        raise SystemExit(f"unknown method {method}")
    wall = time.perf_counter() - t0
    from solver import check

    return {
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
