"""The solver-neutral model: candidate pairs, their scores, cliques and groups.

CP-SAT (``solver.cpsat``) and the HiGHS baseline (``bench``) both build from a
``Structure``; nothing here imports a solver library.
"""

from collections import defaultdict
from collections.abc import Sequence
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


def maximal_cliques(starts: Sequence[int], ends: Sequence[int]) -> list[list[int]]:
    """Maximal sets of mutually overlapping closed intervals (indices), by a sweep on start."""
    order = sorted(range(len(starts)), key=starts.__getitem__)  # stable, as ties must keep their order
    active: list[int] = []
    out: list[list[int]] = []
    for i in order:
        s = starts[i]
        still = [a for a in active if ends[a] >= s]
        if len(still) < len(active):
            out.append(active)
        active = [*still, i]
    if active:
        out.append(active)
    return out


def _supplier_cliques(st: "Structure", rest: int) -> list[tuple[list[int], int]]:
    """Per supplier, by supplier index: its maximal cliques of overlapping windows beyond capacity.

    The sweep of ``maximal_cliques`` over every supplier at once (the huge size has 1.26 million pairs over
    75,000 suppliers): items (candidate pairs, then an offer's deployments) sorted by supplier, start and order;
    the sweep's active set before item k+1 is C_k = {j <= k : end_j >= start_k}, of size
    k + 1 - #{j : end_j < start_k} (a later item starts at or after start_k, so ends after it), and the sweep
    emits C_k exactly when the next item drops one of it: |C_k+1| <= |C_k|, or k is the supplier's last.
    """
    items = _sweep_items(st, rest)
    owner, start, end, pair = items
    big = int(end.max()) + 1 if len(end) else 1
    ends_sorted = np.sort(owner * big + end)  # the count below includes every earlier supplier's items, as k does
    size = np.arange(len(owner)) + 1 - np.searchsorted(ends_sorted, owner * big + start)
    last = np.append(owner[1:] != owner[:-1], True)
    emitted = last | np.append(size[1:] <= size[:-1], True)
    cap = st.sup.capacity[owner]
    ks = np.flatnonzero(emitted & (size > cap))
    # members of C_k lie between the first item whose running maximum end reaches start_k, and k
    reach = np.maximum.accumulate(owner * big + end)
    lo = np.searchsorted(reach, owner[ks] * big + start[ks], side="left")
    span = ks - lo + 1
    which = np.repeat(np.arange(len(ks)), span)
    j = np.arange(int(span.sum())) - np.repeat(np.cumsum(span) - span, span) + lo[which]
    inside = end[j] >= start[ks][which]
    j, which = j[inside], which[inside]
    n_fixed = np.bincount(which[pair[j] < 0], minlength=len(ks))
    var = pair[j] >= 0
    members, which = pair[j][var].tolist(), which[var]
    bounds = np.searchsorted(which, np.arange(len(ks) + 1)).tolist()
    room = np.maximum(cap[ks] - n_fixed, 0).tolist()
    return [(members[bounds[c] : bounds[c + 1]], room[c]) for c in range(len(ks)) if bounds[c + 1] > bounds[c]]


def _sweep_items(st: "Structure", rest: int) -> tuple[Ints, Ints, Ints, Ints]:
    """Candidate pairs and offers' deployments as intervals (rest gap added to the end): owner, start, end and
    pair index (-1 for a deployment), sorted by owner, start, then pairs in index order before deployments."""
    inst, sup, dp = st.inst, st.sup, st.sup.deployments
    starts = np.array([p.start.toordinal() for p in inst.positions], dtype=np.int64)
    ends = np.array([p.end.toordinal() for p in inst.positions], dtype=np.int64) + rest
    fixed = sup.is_offer[dp.owner]
    owner = np.concatenate([st.pair_sup, dp.owner[fixed]])
    start = np.concatenate([starts[st.pair_pos], dp.start[fixed]])
    end = np.concatenate([ends[st.pair_pos], dp.end[fixed] + rest])
    pair = np.concatenate([np.arange(st.n_pairs), np.full(int(fixed.sum()), -1)])
    order = np.lexsort((np.arange(len(owner)), start, owner))
    return owner[order], start[order], end[order], pair[order]


def _groups(inst: Instance, flag: str) -> dict[str, list[int]]:
    """Groups where any member carries the flag: the flag holds for the whole group."""
    groups = defaultdict(list)
    for i, p in enumerate(inst.positions):
        if p.group:
            groups[p.group].append(i)
    return {g: v for g, v in groups.items() if any(getattr(inst.positions[i], flag) for i in v)}


def _cat(xs: list[Ints]) -> Ints:
    return np.concatenate(xs) if xs else np.zeros(0, dtype=np.int64)


def _previous_pairs(
    keys: set[tuple[str, str]], position_index: dict[str, int], sup: Suppliers, pair_sup: Ints, pos_pairs: list[Ints]
) -> Bools:
    """Which pairs are previous assignments: one look-up per previous assignment, not one per pair."""
    previous = np.zeros(len(pair_sup), dtype=bool)
    for position_id, supplier_id in keys:
        i, s = position_index.get(position_id), sup.index.get(supplier_id)
        if i is not None and s is not None:
            previous[pos_pairs[i][pair_sup[pos_pairs[i]] == s]] = True
    return previous


def build_structure(
    inst: Instance,
    sup: Suppliers | None = None,
    reuse: dict[str, Filtered] | None = None,
    scores: dict[str, tuple[Ints, Ints]] | None = None,
) -> Structure:
    """The candidate pairs, scores, cliques and groups of an instance (``sup`` and ``reuse``: see ``generate``;
    ``scores``: the fit and SPC scores of reused seats' candidates, by position id)."""
    sup, filtered = generate(inst, sup, reuse)
    scores = scores or {}
    fillable = [f.position.priority for f in filtered if len(f.candidates)]
    weights = {**dict.fromkeys(range(1, 6), 1), **tier_weights(fillable)}
    pos_of, sup_of, fit, spc = [], [], [], []
    for i, f in enumerate(filtered):
        pos_of.append(np.full(len(f.candidates), i, dtype=np.int64))
        sup_of.append(f.candidates.astype(np.int64))
        known = scores.get(f.position.id)
        fit.append(known[0] if known else fit_scores(inst, sup, f.position, f.candidates))
        spc.append(known[1] if known else spc_scores(inst, sup, f.position, f.candidates))
    pair_pos, pair_sup = _cat(pos_of), _cat(sup_of)
    prio = np.array([weights[p.priority] for p in inst.positions], dtype=np.int64)
    bounds = np.searchsorted(pair_pos, np.arange(len(inst.positions) + 1))
    pos_pairs = [np.arange(bounds[i], bounds[i + 1]) for i in range(len(inst.positions))]
    prev_keys = {(p.position_id, p.supplier_id) for p in inst.previous}
    position_index = {p.id: i for i, p in enumerate(inst.positions)}
    previous = _previous_pairs(prev_keys, position_index, sup, pair_sup, pos_pairs)
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
    st.position_index = position_index
    st.cliques = _supplier_cliques(st, inst.parameters.rest_days)
    st.all_or_nothing = _groups(inst, "all_or_nothing")
    st.same_offer = _groups(inst, "same_offer")
    for i, f in enumerate(filtered):
        if f.pinned is not None:
            k = pos_pairs[i][st.pair_sup[pos_pairs[i]] == f.pinned]
            st.pinned_pairs.append(int(k[0]))
    return st
