"""Each succeeded plan's solver state, rebuilt once per process and kept for the next questions about it.

Alternatives for a seat are asked one after the other while a planner reviews a plan: the first builds the
plan's candidate structure from its stored instance (seconds on a large roster), the next ones reuse it
(milliseconds). A plan's instance and result never change once it succeeded, so its id and finishing time name
them; the last few plans asked about are kept.
"""

import threading
from collections import OrderedDict

from sqlmodel import Session

import solver
from schemas.instance import Instance
from schemas.plan import Plan as SolverPlan
from service.platform.tables import Plan

KEPT_PLANS = 3
_kept: OrderedDict[tuple[str, int, str], tuple[Instance, SolverPlan, solver.Kept]] = OrderedDict()
_lock = threading.Lock()


def kept(session: Session, plan: Plan) -> tuple[Instance, SolverPlan, solver.Kept]:
    """A succeeded plan's instance, result and solver state, from this process's store or rebuilt once."""
    assert plan.id is not None and plan.instance is not None and plan.result is not None
    key = (str(session.get_bind().engine.url), plan.id, str(plan.finished_at))
    with _lock:
        if key in _kept:
            _kept.move_to_end(key)
            return _kept[key]
    instance = Instance.model_validate_json(plan.instance)
    result = SolverPlan.model_validate_json(plan.result)
    found = (instance, result, solver.keep(instance, result))
    with _lock:
        _kept[key] = found
        while len(_kept) > KEPT_PLANS:
            _kept.popitem(last=False)
    return found
