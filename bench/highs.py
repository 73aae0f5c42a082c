"""HiGHS on the same clique model (priority level only), as a baseline.

Runs in its own process: highspy and OR-Tools ship conflicting HiGHS symbols.
"""

import time

import numpy as np

from schemas.plan import ModelSize, Plan, SolveStatus
from solver.assemble import assemble
from solver.structure import build_structure


def _rows(st):
    """Hard rules as sparse rows (indices, coefficients, lower, upper) over pair columns plus group columns."""
    n = st.n_pairs
    rows = [(list(p), [1.0] * len(p), -np.inf, 1.0) for p in st.pos_pairs if len(p) > 1]
    rows += [(list(p), [1.0] * len(p), -np.inf, float(c)) for p, c in st.cliques]
    for members in st.all_or_nothing.values():
        first = list(st.pos_pairs[members[0]])
        for j in members[1:]:
            other = list(st.pos_pairs[j])
            rows.append((first + other, [1.0] * len(first) + [-1.0] * len(other), 0.0, 0.0))
    extra = 0
    for members in st.same_offer.values():
        by_offer = {}
        for i in members:
            for k in st.pos_pairs[i]:
                by_offer.setdefault(int(st.pair_sup[k]), []).append(int(k))
        if len(by_offer) <= 1:
            continue
        cols = []
        for pairs in by_offer.values():
            y = n + extra
            extra += 1
            cols.append(y)
            rows += [([k, y], [1.0, -1.0], -np.inf, 0.0) for k in pairs]
        rows.append((cols, [1.0] * len(cols), -np.inf, 1.0))
    return rows, n + extra


def solve_highs(inst, time_limit: float) -> Plan:
    import highspy

    t0 = time.perf_counter()
    st = build_structure(inst)
    rows, ncols = _rows(st)
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("time_limit", float(time_limit))
    h.setOptionValue("threads", 2)
    lower = np.zeros(ncols)
    lower[st.pinned_pairs] = 1.0
    h.addVars(ncols, lower, np.ones(ncols))
    cost = np.zeros(ncols)
    cost[: st.n_pairs] = st.priority_weight
    h.changeColsCost(ncols, np.arange(ncols, dtype=np.int32), cost)
    h.changeColsIntegrality(ncols, np.arange(ncols, dtype=np.int32), np.array([highspy.HighsVarType.kInteger] * ncols))
    h.changeObjectiveSense(highspy.ObjSense.kMaximize)
    starts, index, value = [], [], []
    for idx, coef, _, _ in rows:
        starts.append(len(index))
        index += idx
        value += coef
    h.addRows(
        len(rows),
        np.array([r[2] for r in rows]),
        np.array([r[3] for r in rows]),
        len(index),
        np.array(starts, dtype=np.int32),
        np.array(index, dtype=np.int32),
        np.array(value),
    )
    size = ModelSize(
        candidates=st.n_pairs, variables=ncols, constraints=len(rows), build_seconds=round(time.perf_counter() - t0, 3)
    )
    h.run()
    info = h.getInfo()
    col = np.array(h.getSolution().col_value[: st.n_pairs])
    chosen = np.flatnonzero(col > 0.5)
    optimal = h.getModelStatus() == highspy.HighsModelStatus.kOptimal
    trivial = sum(int(st.priority_weight[p[0]]) for p in st.pos_pairs if len(p))
    bound = min(round(info.mip_dual_bound), trivial) if np.isfinite(info.mip_dual_bound) else trivial
    value = int(st.priority_weight[chosen].sum())
    plan = assemble(
        st,
        chosen,
        SolveStatus.optimal if optimal else SolveStatus.time_limit,
        model=size,
        best_bound=bound,
        gap=round(abs(bound - value) / max(1, abs(bound)), 6),
    )
    plan.wall_time = round(time.perf_counter() - t0, 3)
    return plan
