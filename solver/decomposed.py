"""Solve a structure part by part: each independent component is kept from the plan before, chosen outright
when it is one seat, or solved by the staged CP-SAT model; the parts' optima merge into the plan's.

Exact on every objective level: components share no rule and no objective term (solver.components), and each
level is a sum over them. See docs/solver.md, "Decomposition" and "Incremental re-solve".
"""

import time

import numpy as np

from schemas.instance import Instance
from schemas.plan import ModelSize, Plan, SolveStatus
from solver.assemble import assemble
from solver.checker import pins_against_rules
from solver.components import Component, components, restrict
from solver.cpsat import Event, Progress, Staged, gap, infeasible, notify, solve_structure
from solver.greedy import greedy_pairs
from solver.kept import Kept, KeptPart, Pair, structure_for
from solver.score import gender_target
from solver.structure import Structure
from solver.suppliers import Ints


def _keys(st: Structure, ks: Ints) -> list[Pair]:
    return [(st.inst.positions[st.pair_pos[k]].id, st.sup.ids[st.pair_sup[k]]) for k in ks]


def _indices(st: Structure, c: Component, keys: list[Pair]) -> Ints:
    """Pair indices of the component for (position id, supplier id) keys; keys it no longer has are dropped."""
    where = {key: int(k) for key, k in zip(_keys(st, c.pairs), c.pairs)}
    return np.array(sorted(where[key] for key in keys if key in where), dtype=np.int64)


def _kept(st: Structure, c: Component, before: Kept | None) -> Ints | None:
    """The component's solution from the plan before, if it is still optimal: same digest, proven optimal
    then, and either the same previous plan or a previous plan that is that very solution (so nothing can be
    kept better)."""
    old = before.parts.get(c.digest) if before is not None else None
    if old is None or not old.optimal:
        return None
    chosen = _indices(st, c, old.chosen)
    if len(chosen) != len(old.chosen):
        return None
    if old.previous_digest == c.previous_digest:
        return chosen
    previous = c.pairs[st.previous[c.pairs]]
    return chosen if np.array_equal(np.sort(previous), chosen) else None


def _one_seat(st: Structure, c: Component, blocked: set[int]) -> Ints | None:
    """The best pair of a component of one seat outside any group, by the levels in order (``blocked``: pairs
    whose supplier has no slot left at those dates); None otherwise."""
    (i,) = c.positions if len(c.positions) == 1 else (None,)
    if i is None or st.inst.positions[i].group:
        return None
    pinned = [k for k in st.pinned_pairs if st.pair_pos[k] == i]
    if pinned:
        return np.array(pinned[:1], dtype=np.int64)
    target = st.inst.parameters.gender_targets.get(st.inst.positions[i].request_id, 0)
    weight = st.inst.parameters.weights.gender_shortfall
    best, key = None, None
    for k in c.pairs:
        if int(k) in blocked:
            continue
        need = gender_target(target) - 100 * int(st.sup.female[st.pair_sup[k]]) if target > 0 else 0
        fairness = weight * max(0, -(-need // 100))
        mine = (st.priority_weight[k], st.fit[k], -fairness, st.spc[k], st.previous[k], -k)
        if key is None or mine > key:
            best, key = int(k), mine
    return np.array([] if best is None else [best], dtype=np.int64)


def _hint(st: Structure, c: Component, before: list[Pair] | None, greedy: Ints) -> Ints:
    """A complete starting point: the plan before on this component (pins first), else the greedy plan."""
    if before is not None:
        old = _indices(st, c, before)
        pinned = {int(st.pair_pos[k]) for k in st.pinned_pairs}
        inside = set(c.pairs.tolist())
        mine = [k for k in st.pinned_pairs if k in inside]
        return np.array(mine + [int(k) for k in old if int(st.pair_pos[k]) not in pinned], dtype=np.int64)
    return greedy[np.isin(greedy, c.pairs)]


def _solve_part(
    st: Structure, c: Component, hint: Ints, limit: float, workers: int, seed: int, progress: Progress
) -> Staged:
    part = restrict(st, c)
    local = np.searchsorted(c.pairs, hint)
    out = solve_structure(part, time_limit=limit, workers=workers, seed=seed, progress=progress, hint=local)
    out.chosen = c.pairs[out.chosen]
    return out


def solve(
    inst: Instance,
    *,
    before: Kept | None = None,
    time_limit: float | None = None,
    workers: int | None = None,
    seed: int | None = None,
    progress: Progress = None,
) -> tuple[Plan, Kept]:
    """Instance in, plan out (and what it keeps): candidates, components, then each one kept, chosen or solved."""
    t0 = time.perf_counter()
    limit = time_limit if time_limit is not None else inst.parameters.time_limit
    st = structure_for(inst, before)
    comps = components(st)
    greedy = np.zeros(0, dtype=np.int64)
    if before is None:  # a re-solve starts from the plan before instead
        greedy = np.asarray(greedy_pairs(st), dtype=np.int64)
        notify(progress, _event("greedy", float(st.priority_weight[greedy].sum()), None, t0))
    chosen, parts, messages = [], {}, []
    status, bound, size = SolveStatus.optimal, 0, ModelSize(candidates=st.n_pairs)
    kept = 0
    blocked = {k for pairs, cap in st.cliques if cap == 0 for k in pairs}
    earlier = [key for part in before.parts.values() for key in part.chosen] if before is not None else None
    for n, c in enumerate(comps):
        mine = _kept(st, c, before)
        optimal = True
        if mine is not None:
            kept += 1
        else:
            mine = _one_seat(st, c, blocked)
        if mine is None:
            left = limit - (time.perf_counter() - t0)
            share = left * len(c.pairs) / max(1, sum(len(d.pairs) for d in comps[n:]))
            hint = _hint(st, c, earlier, greedy)
            out = _solve_part(st, c, hint, share, workers or 2, seed or 0, progress if n == 0 else None)
            if out.infeasible is not None:
                plan = infeasible(st, out.size, out.infeasible)
                return _finish(plan, inst, t0, progress), Kept(inst, st, plan, np.zeros(0, dtype=np.int64))
            mine, optimal = out.chosen, out.status == SolveStatus.optimal
            messages += out.messages
            size = _add(size, out.size)
            status = status if optimal else SolveStatus.time_limit
        chosen.append(mine)
        bound += out.bound if not optimal else int(st.priority_weight[mine].sum())
        parts[c.digest] = KeptPart(c.digest, c.previous_digest, _keys(st, mine), optimal)
    every = np.sort(np.concatenate(chosen)) if chosen else np.zeros(0, dtype=np.int64)
    value = float(st.priority_weight[every].sum())
    size.candidates, size.parts, size.parts_kept = st.n_pairs, len(comps), kept
    plan = assemble(st, every, status, best_bound=bound, gap=round(gap(value, bound), 6), model=size, messages=messages)
    return _finish(plan, inst, t0, progress), Kept(inst, st, plan, every, parts)


def _add(a: ModelSize, b: ModelSize) -> ModelSize:
    a.variables += b.variables
    a.constraints += b.constraints
    a.build_seconds = round(a.build_seconds + b.build_seconds, 3)
    return a


def _event(phase: str, objective: float | None, bound: float | None, t0: float) -> Event:
    elapsed = round(time.perf_counter() - t0, 3)
    return {"phase": phase, "objective": objective, "bound": bound, "gap": None, "elapsed": elapsed}


def _finish(plan: Plan, inst: Instance, t0: float, progress: Progress) -> Plan:
    plan.wall_time = round(time.perf_counter() - t0, 3)
    plan.messages += pins_against_rules(inst)
    event = _event("done", float(plan.objectives.priority), float(plan.best_bound), t0) | {"gap": plan.gap}
    notify(progress, event)
    return plan
