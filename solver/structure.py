"""The solver-neutral model: candidate pairs, their scores, cliques and groups.

CP-SAT (``solver.cpsat``) and the HiGHS baseline (``bench``) both build from a
``Structure``; nothing here imports a solver library.
"""

from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np

from schemas.enums import Benchmark, Source
from schemas.instance import Instance, Position
from solver.candidates import Filtered, generate
from solver.suppliers import OFFER_SOURCE, SOURCES, Bools, Ints, Suppliers


@dataclass
class Structure:
    inst: Instance
    sup: Suppliers
    filtered: list[Filtered]
    pair_pos: Ints
    pair_sup: Ints
    priority_weight: Ints
    fit: Ints
    spc: Ints
    previous: Bools
    pos_pairs: list[Ints]
    cliques: list[tuple[list[int], int]] = field(default_factory=list)
    all_or_nothing: dict[str, list[int]] = field(default_factory=dict)
    same_offer: dict[str, list[int]] = field(default_factory=dict)
    pinned_pairs: list[int] = field(default_factory=list)
    previous_total: int = 0
    tier_weight: dict[int, int] = field(default_factory=dict)
    position_index: dict[str, int] = field(default_factory=dict)

    @property
    def n_pairs(self) -> int:
        return len(self.pair_pos)


def tier_weights(priorities: list[int]) -> dict[int, int]:
    """Weights so that one position of priority p outweighs all positions of lower priority together.

    Counting only positions that have a candidate keeps the weights (and the LP) small.
    """
    counts: defaultdict[int, int] = defaultdict(int)
    for p in priorities:
        counts[p] += 1
    weights, below = {}, 0
    for p in sorted(counts, reverse=True):
        weights[p] = below + 1
        below += counts[p] * weights[p]
    return weights


def is_urgent(inst: Instance, pos: Position) -> bool:
    if pos.benchmark == Benchmark.short_term:
        return True
    when = pos.deploy_by or pos.start
    return (when - inst.today).days <= inst.parameters.urgent_days


def is_long(inst: Instance, pos: Position) -> bool:
    if pos.benchmark == Benchmark.long_term:
        return True
    return (pos.end - pos.start).days + 1 >= inst.parameters.long_days


def fit_scores(inst: Instance, sup: Suppliers, pos: Position, idx: Ints) -> Ints:
    """Fit of each candidate: proficiency above minimum, desired skills, grade, language level."""
    w = inst.parameters.weights
    score = np.zeros(len(idx), dtype=np.int64)
    for code, m in pos.required_skills.items():
        score += w.skill_above_min * np.clip(sup.proficiency(sup.skills, code)[idx] - m, 0, 2)
    for code, m in pos.desired_skills.items():
        score += w.desired_skill * (sup.proficiency(sup.skills, code)[idx] >= m)
    for code, m in pos.languages.items():
        score += w.language_above_min * np.clip(sup.proficiency(sup.languages, code)[idx] - m, 0, 2)
    lo = pos.grade_min if pos.grade_min is not None else pos.grade_max
    hi = pos.grade_max if pos.grade_max is not None else pos.grade_min
    if lo is not None and hi is not None:
        g = sup.grade[idx]
        dist = np.abs(2 * g - (lo + hi))
        score += np.where(g < 0, 0, np.where(dist <= 1, w.grade_centre, 0))
    return score


def spc_scores(inst: Instance, sup: Suppliers, pos: Position, idx: Ints) -> Ints:
    """The SPC pattern: standing capacity on urgent start-up, roster and secondees on long positions."""
    w = inst.parameters.weights
    score = np.zeros(len(idx), dtype=np.int64)
    if is_urgent(inst, pos):
        score += w.spc_urgent_standing * sup.rapid[idx]
    if is_long(inst, pos):
        src = sup.source[idx]
        long_ok = (src == SOURCES[Source.roster]) | (src == SOURCES[Source.secondee]) | (src == OFFER_SOURCE)
        score += w.spc_long_roster * long_ok
    return score


def maximal_cliques(starts: Ints, ends: Ints) -> list[list[int]]:
    """Maximal sets of mutually overlapping closed intervals (indices), by a sweep on start."""
    order = np.argsort(starts, kind="stable")
    active: list[int] = []
    out: list[list[int]] = []
    for i in order:
        s = starts[i]
        still = [a for a in active if ends[a] >= s]
        if len(still) < len(active):
            out.append(active)
        active = [*still, int(i)]
    if active:
        out.append(active)
    return out


def _supplier_cliques(st: "Structure", rest: int) -> list[tuple[list[int], int]]:
    inst, sup = st.inst, st.sup
    starts = np.array([p.start.toordinal() for p in inst.positions], dtype=np.int64)
    ends = np.array([p.end.toordinal() for p in inst.positions], dtype=np.int64) + rest
    deps = defaultdict(list)
    dp = sup.deployments
    for o, s, e in zip(dp.owner, dp.start, dp.end):
        if sup.is_offer[o]:
            deps[int(o)].append((int(s), int(e) + rest))
    order = np.argsort(st.pair_sup, kind="stable")
    bounds = np.searchsorted(st.pair_sup[order], np.arange(len(sup) + 1))
    out = []
    for s in range(len(sup)):
        pairs = order[bounds[s] : bounds[s + 1]]
        cap = int(sup.capacity[s])
        fixed = deps.get(s, [])
        if len(pairs) + len(fixed) <= cap:
            continue
        ps = st.pair_pos[pairs]
        a = np.concatenate([starts[ps], np.array([f[0] for f in fixed], dtype=np.int64)])
        b = np.concatenate([ends[ps], np.array([f[1] for f in fixed], dtype=np.int64)])
        for clique in maximal_cliques(a, b):
            var = [int(pairs[i]) for i in clique if i < len(pairs)]
            n_fixed = len(clique) - len(var)
            if len(var) + n_fixed > cap and var:
                out.append((var, max(cap - n_fixed, 0)))
    return out


def _groups(inst: Instance, flag: str) -> dict[str, list[int]]:
    """Groups where any member carries the flag: the flag holds for the whole group."""
    groups = defaultdict(list)
    for i, p in enumerate(inst.positions):
        if p.group:
            groups[p.group].append(i)
    return {g: v for g, v in groups.items() if any(getattr(inst.positions[i], flag) for i in v)}


def _cat(xs: list[Ints]) -> Ints:
    return np.concatenate(xs) if xs else np.zeros(0, dtype=np.int64)


def build_structure(inst: Instance) -> Structure:
    sup, filtered = generate(inst)
    fillable = [f.position.priority for f in filtered if len(f.candidates)]
    weights = {**dict.fromkeys(range(1, 6), 1), **tier_weights(fillable)}
    pos_of, sup_of, fit, spc = [], [], [], []
    for i, f in enumerate(filtered):
        pos_of.append(np.full(len(f.candidates), i, dtype=np.int64))
        sup_of.append(f.candidates.astype(np.int64))
        fit.append(fit_scores(inst, sup, f.position, f.candidates))
        spc.append(spc_scores(inst, sup, f.position, f.candidates))
    pair_pos, pair_sup = _cat(pos_of), _cat(sup_of)
    prio = np.array([weights[p.priority] for p in inst.positions], dtype=np.int64)
    bounds = np.searchsorted(pair_pos, np.arange(len(inst.positions) + 1))
    pos_pairs = [np.arange(bounds[i], bounds[i + 1]) for i in range(len(inst.positions))]
    prev_keys = {(p.position_id, p.supplier_id) for p in inst.previous}
    previous = np.zeros(len(pair_pos), dtype=bool)
    if prev_keys:
        pid = [p.id for p in inst.positions]
        for k in range(len(pair_pos)):
            previous[k] = (pid[pair_pos[k]], sup.ids[pair_sup[k]]) in prev_keys
    st = Structure(
        inst,
        sup,
        filtered,
        pair_pos,
        pair_sup,
        prio[pair_pos] if len(pair_pos) else prio[:0],
        _cat(fit),
        _cat(spc),
        previous,
        pos_pairs,
        previous_total=len(prev_keys),
    )
    st.tier_weight = weights
    st.position_index = {p.id: i for i, p in enumerate(inst.positions)}
    st.cliques = _supplier_cliques(st, inst.parameters.rest_days)
    st.all_or_nothing = _groups(inst, "all_or_nothing")
    st.same_offer = _groups(inst, "same_offer")
    for i, f in enumerate(filtered):
        if f.pinned is not None:
            k = pos_pairs[i][st.pair_sup[pos_pairs[i]] == f.pinned]
            st.pinned_pairs.append(int(k[0]))
    return st
