"""Objective terms as ``(variable indices, weights)`` and the lexicographic stages built from them.

Stages are index and weight arrays, set on the model's proto directly: going through ``LinearExpr`` costs
about 4 µs a term (huge: 1.26 million terms, several seconds a stage).
"""

from collections import defaultdict

import numpy as np
from ortools.sat.python import cp_model
from ortools.sat.python.cp_model import IntVar, LinearExpr

from solver.score import gender_target, state_quota
from solver.structure import Structure
from solver.suppliers import Bools, Ints

Terms = tuple[Ints, Ints]  # variable indices in the model, and their weights
Stage = tuple[str, Ints, Ints]  # name, variable indices, weights (maximised)


def indices(x: list[IntVar]) -> Ints:
    return np.fromiter((v.index for v in x), dtype=np.int64, count=len(x))


def fit_term(st: Structure, xi: Ints) -> Terms:
    return xi, st.fit


def spc_term(st: Structure, xi: Ints) -> Terms:
    return xi, st.spc


def stability_term(st: Structure, xi: Ints) -> Terms:
    """Kept previous assignments (maximised); changes = previous total - kept."""
    ks = np.flatnonzero(st.previous)
    return xi[ks], np.ones(len(ks), dtype=np.int64)


def fairness_term(model: cp_model.CpModel, st: Structure, x: list[IntVar]) -> Terms:
    """Penalty literals/ints: positions above a state's fair share, women missing from a target."""
    w = st.inst.parameters.weights
    quota = state_quota(st)
    by_state = defaultdict(list)
    for k, s in enumerate(st.pair_sup):
        ms = st.sup.member_state[s]
        if ms is not None:
            by_state[ms].append(k)
    terms, weights = [], []
    for pairs in by_state.values():
        if len(pairs) <= quota:
            continue
        reach = len(np.unique(st.pair_pos[pairs]))
        if reach <= quota:
            continue
        over = model.new_int_var(0, reach - quota, "")
        model.add(over >= LinearExpr.sum([x[k] for k in pairs]) - quota)
        terms.append(over)
        weights.append(w.state_over_share)
    by_request = defaultdict(list)
    for k, i in enumerate(st.pair_pos):
        by_request[st.inst.positions[i].request_id].append(k)
    for r, t in st.inst.parameters.gender_targets.items():
        pairs = by_request.get(r, [])
        if not pairs or t <= 0:
            continue
        short = model.new_int_var(0, len(np.unique(st.pair_pos[pairs])), "")
        filled = LinearExpr.sum([x[k] for k in pairs])
        women = LinearExpr.sum([x[k] for k in pairs if st.sup.female[st.pair_sup[k]]])
        model.add(100 * short >= gender_target(t) * filled - 100 * women)
        terms.append(short)
        weights.append(w.gender_shortfall)
    return indices(terms), np.array(weights, dtype=np.int64)


def add_keep_tiers(
    model: cp_model.CpModel, st: Structure, x: list[IntVar], current: Bools, tiers: list[int] | None = None
) -> None:
    """Keep the priority level: at least as many filled positions in every priority tier.

    With strict tier weights the level's value decomposes uniquely into tier counts, so
    this equals fixing the weighted sum, with small coefficients the LP handles well.
    """
    prio = np.array([p.priority for p in st.inst.positions])[st.pair_pos]
    for tier in np.unique(prio) if tiers is None else tiers:
        ks = np.flatnonzero(prio == tier)
        n = int(current[ks].sum())
        if n:
            model.add(LinearExpr.sum([x[k] for k in ks]) >= n)


MERGE_LIMIT = 2**48


def _level_range(terms: Ints, weights: Ints, model: cp_model.CpModel) -> int:
    """An upper bound on a level's value (every term at its upper bound).

    The proto's repeated fields do not support negative indices: ``domain[-1]`` reads 0.
    """
    total = 0
    for t, w in zip(terms.tolist(), weights.tolist()):
        domain = model.proto.variables[t].domain
        total += abs(w) * domain[len(domain) - 1]
    return total


def _pair_range(st: Structure, weights: Ints) -> int:
    """An upper bound on a per-pair level: the best pair of every position, summed."""
    w = np.zeros(st.n_pairs, dtype=np.int64)
    if len(weights) == st.n_pairs:
        w[:] = weights
    else:
        w[np.flatnonzero(st.previous)] = weights
    return sum(int(w[p].max()) for p in st.pos_pairs if len(p))


Level = tuple[str, Ints, Ints, int, int]  # name, terms, weights, sign, range
Part = tuple[str, Ints, Ints]  # name, terms, signed weights scaled within the stage


def merge_levels(levels: list[Level]) -> list[list[Part]]:
    """Group consecutive lower levels into one weighted stage when strict weights stay small.

    Walking up from the last level, each level's weight exceeds the whole range of the
    levels below it in the group, so the weighted sum is exactly lexicographic.
    """
    groups: list[list[Part]] = []
    group: list[Part] = []
    mult = 1
    for name, terms, weights, sign, rng in reversed(levels):
        if group and mult * (rng + 1) > MERGE_LIMIT:
            groups.append(group)
            group, mult = [], 1
        group.append((name, terms, sign * mult * np.asarray(weights, dtype=np.int64)))
        mult *= rng + 1
    if group:
        groups.append(group)
    return [list(reversed(g)) for g in reversed(groups)]


def _stage_terms(group: list[Part]) -> tuple[Ints, Ints]:
    """One stage's terms: the group's parts added up, a variable's weights summed (exact: below 2^53)."""
    idx = np.concatenate([t for _, t, _ in group])
    coef = np.concatenate([w for _, _, w in group])
    keep = coef != 0
    found, at = np.unique(idx[keep], return_inverse=True)
    total = np.zeros(len(found), dtype=np.int64)
    np.add.at(total, at, coef[keep])
    return found, total


def objective_stages(model: cp_model.CpModel, st: Structure, x: list[IntVar]) -> list[Stage]:
    xi = indices(x)
    fair_terms, fair_weights = fairness_term(model, st, x)
    levels = []
    for name, (terms, weights), sign in [
        ("fit", fit_term(st, xi), 1),
        ("fairness", (fair_terms, fair_weights), -1),
        ("spc", spc_term(st, xi), 1),
        ("stability", stability_term(st, xi), 1),
    ]:
        if weights.any():
            rng = _pair_range(st, weights) if name != "fairness" else _level_range(terms, weights, model)
            levels.append((name, terms, weights, sign, rng))
    stages = _priority_stages(st, xi)
    for group in merge_levels(levels):
        stages.append(("+".join(g[0] for g in group), *_stage_terms(group)))
    return stages


PRIORITY_LIMIT = 2**61


def stage_tiers(name: str, st: Structure) -> list[int]:
    """The priority tiers a stage named "priority" (all) or "priority:1" covers."""
    return [int(name.split(":")[1])] if ":" in name else sorted(st.tier_weight)


def _priority_stages(st: Structure, xi: Ints) -> list[Stage]:
    """One weighted stage for the priority level; one stage per tier (a count) if the weighted sum could overflow.

    The check adds Python integers: numpy's int64 sum wraps around (huge's 1.26 million pairs wrapped to a small
    sum, and CP-SAT refused the model). Measured on huge: counts per tier are far easier for CP-SAT than stages
    grouping several tiers with strict weights (tier 1 proven in 13 s; tiers 1-4 grouped: no solution in 40 s).
    """
    if sum(st.priority_weight.tolist()) <= PRIORITY_LIMIT:
        return [("priority", xi, st.priority_weight)]
    prio = np.array([p.priority for p in st.inst.positions])[st.pair_pos]
    return [(f"priority:{t}", xi[prio == t], np.ones(int((prio == t).sum()), dtype=np.int64)) for t in np.unique(prio)]


def unsolved_tiers(st: Structure, names: list[str]) -> int:
    """Bound contribution of priority tiers whose stage never ran: every fillable seat filled."""
    total = 0
    for name in names:
        if name.startswith("priority"):
            tiers = stage_tiers(name, st)
            for i, pairs in enumerate(st.pos_pairs):
                if len(pairs) and st.inst.positions[i].priority in tiers:
                    total += st.tier_weight[st.inst.positions[i].priority]
    return total
