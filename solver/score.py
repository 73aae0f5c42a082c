"""Objective levels of a set of chosen pairs, each pair's score, and the slots of offers."""

import math
from collections import defaultdict
from collections.abc import Sequence
from typing import TypeVar, cast

import numpy as np

from schemas.plan import Objectives
from solver.structure import Structure
from solver.suppliers import Ints

K = TypeVar("K")


def state_quota(st: Structure) -> int:
    return max(1, math.floor(st.inst.parameters.max_state_share * len(st.inst.positions)))


def gender_target(target: float) -> int:
    return round(100 * target)


def fairness_penalty(st: Structure, chosen: Ints) -> int:
    """State over-share plus gender shortfall, weighted."""
    w = st.inst.parameters.weights
    quota = state_quota(st)
    counts: defaultdict[str, int] = defaultdict(int)
    for s in st.pair_sup[chosen]:
        ms = st.sup.member_state[s]
        if ms is not None:
            counts[ms] += 1
    over = sum(max(0, c - quota) for c in counts.values())
    filled: defaultdict[str, int] = defaultdict(int)
    women: defaultdict[str, int] = defaultdict(int)
    for k in chosen:
        r = st.inst.positions[st.pair_pos[k]].request_id
        filled[r] += 1
        women[r] += int(st.sup.female[st.pair_sup[k]])
    short = 0
    for r, t in st.inst.parameters.gender_targets.items():
        need = gender_target(t) * filled[r] - 100 * women[r]
        short += max(0, -(-need // 100))
    return w.state_over_share * over + w.gender_shortfall * short


def objectives(st: Structure, chosen: Ints) -> Objectives:
    chosen = np.asarray(chosen, dtype=np.int64)
    return Objectives(
        priority=int(st.priority_weight[chosen].sum()),
        fit=int(st.fit[chosen].sum()),
        fairness=fairness_penalty(st, chosen),
        spc=int(st.spc[chosen].sum()),
        stability=int(st.previous_total - st.previous[chosen].sum()),
    )


def colour_slots(intervals: Sequence[tuple[int, int, K]], fixed: Sequence[tuple[int, int]]) -> dict[K, int]:
    """Slot numbers (from 1) for intervals, greedy by start date (optimal on interval graphs)."""
    items = [(s, e, key, False) for s, e, key in intervals] + [(s, e, None, True) for s, e in fixed]
    items.sort(key=lambda t: (t[0], t[3] is False))
    free_at: list[int] = []
    out: dict[K, int] = {}
    for s, e, key, is_fixed in items:
        slot = next((i for i, f in enumerate(free_at) if f < s), None)
        if slot is None:
            free_at.append(e)
            slot = len(free_at) - 1
        else:
            free_at[slot] = e
        if not is_fixed:
            out[cast(K, key)] = slot + 1  # only fixed intervals have no key
    return out


def slots_of(st: Structure, chosen: Ints) -> dict[int, int]:
    rest = st.inst.parameters.rest_days
    by_sup: defaultdict[int, list[tuple[int, int, int]]] = defaultdict(list)
    for k in chosen:
        s = int(st.pair_sup[k])
        if st.sup.is_offer[s]:
            p = st.inst.positions[st.pair_pos[k]]
            by_sup[s].append((p.start.toordinal(), p.end.toordinal() + rest, int(k)))
    dp = st.sup.deployments
    out: dict[int, int] = {}
    for s, ivs in by_sup.items():
        rows = slice(dp.ptr[s], dp.ptr[s + 1])  # its own deployments (rows sorted by owner), not a scan of all
        fixed = [(a, b + rest) for a, b in zip(dp.start[rows].tolist(), dp.end[rows].tolist())]
        out.update(colour_slots(ivs, fixed))
    return out


def breakdown(st: Structure, k: int) -> dict[str, int]:
    return {
        "priority": int(st.priority_weight[k]),
        "fit": int(st.fit[k]),
        "spc": int(st.spc[k]),
        "stability": int(st.previous[k]),
    }
