"""The planner's baseline: positions by priority then start date, each given its best available candidate."""

import time
from collections import defaultdict
from collections.abc import Iterable, Sequence

import numpy as np

from schemas.instance import Instance
from schemas.plan import ModelSize, Plan, SolveStatus
from solver.assemble import assemble
from solver.structure import Structure, build_structure
from solver.suppliers import Ints


class Occupancy:
    """Busy intervals per supplier (rest gap included), with capacity for offers."""

    def __init__(self, st: Structure) -> None:
        self.st = st
        self.rest = st.inst.parameters.rest_days
        self.busy: dict[int, list[tuple[int, int]]] = defaultdict(list)
        dp = st.sup.deployments
        for o, a, b in zip(dp.owner, dp.start, dp.end):
            if st.sup.is_offer[o]:
                self.busy[int(o)].append((int(a), int(b) + self.rest))

    def _interval(self, i: int) -> tuple[int, int]:
        p = self.st.inst.positions[i]
        return p.start.toordinal(), p.end.toordinal() + self.rest

    def fits(self, s: int, i: int) -> bool:
        a, b = self._interval(i)
        clash = [(x, y) for x, y in self.busy[s] if x <= b and a <= y]
        cap = int(self.st.sup.capacity[s])
        if len(clash) < cap:
            return True
        points = sorted({max(a, x) for x, _ in clash})
        return all(sum(1 for x, y in clash if x <= t <= y) < cap for t in points)

    def take(self, s: int, i: int) -> None:
        self.busy[s].append(self._interval(i))

    def release(self, s: int, i: int) -> None:
        self.busy[s].remove(self._interval(i))


def _ranked(st: Structure, i: int) -> Ints:
    pairs = st.pos_pairs[i]
    key = st.previous[pairs] * 1_000_000 + st.fit[pairs] * 1000 + st.spc[pairs]
    return pairs[np.argsort(-key, kind="stable")]


def _fill_group(st: Structure, occ: Occupancy, members: list[int], only_offer: int | None) -> list[int]:
    taken = []
    for i in members:
        for k in _ranked(st, i):
            s = int(st.pair_sup[k])
            if (only_offer is None or s == only_offer) and occ.fits(s, i):
                occ.take(s, i)
                taken.append(int(k))
                break
    return taken


def _undo(st: Structure, occ: Occupancy, taken: list[int]) -> None:
    for k in taken:
        occ.release(int(st.pair_sup[k]), int(st.pair_pos[k]))


def _try_group(st: Structure, occ: Occupancy, members: list[int]) -> list[int]:
    pos = st.inst.positions[members[0]]
    whole = pos.group in st.all_or_nothing
    offers: Sequence[int | None] = [None]
    if pos.group in st.same_offer:
        offers = sorted({int(st.pair_sup[k]) for i in members for k in st.pos_pairs[i]})
    best: list[int] = []
    for o in offers:
        taken = _fill_group(st, occ, members, o)
        _undo(st, occ, taken)
        if len(taken) > len(best) and (not whole or len(taken) == len(members)):
            best = taken
    for k in best:
        occ.take(int(st.pair_sup[k]), int(st.pair_pos[k]))
    return best


def greedy_pairs(st: Structure, start: Iterable[int] = ()) -> list[int]:
    """Chosen pair indices: pins (and ``start``, a valid plan to complete) first, then groups and positions by
    priority and start date. A group with a seat taken in ``start`` is left as it is."""
    inst = st.inst
    occ = Occupancy(st)
    chosen = []
    done = set()
    for k in dict.fromkeys([*st.pinned_pairs, *(int(k) for k in start)]):
        occ.take(int(st.pair_sup[k]), int(st.pair_pos[k]))
        chosen.append(k)
        done.add(int(st.pair_pos[k]))
    groups = defaultdict(list)
    for i, p in enumerate(inst.positions):
        if p.group in st.all_or_nothing or p.group in st.same_offer:
            groups[p.group].append(i)
    for members in groups.values():
        if done.intersection(members):
            done.update(members)
    order = sorted(range(len(inst.positions)), key=lambda i: (inst.positions[i].priority, inst.positions[i].start, i))
    for i in order:
        if i in done:
            continue
        p = inst.positions[i]
        members = groups.get(p.group, [i]) if p.group else [i]
        members = [j for j in members if j not in done]
        chosen += _try_group(st, occ, members) if members else []
        done.update(members or [i])
    return chosen


def greedy(inst: Instance) -> Plan:
    """A plan in milliseconds, as a planner would make it by hand."""
    t0 = time.perf_counter()
    st = build_structure(inst)
    plan = assemble(st, greedy_pairs(st), SolveStatus.feasible, model=ModelSize(candidates=st.n_pairs))
    plan.wall_time = round(time.perf_counter() - t0, 3)
    return plan
