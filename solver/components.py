"""Independent parts of a plan: positions that no rule, group or objective term ties together.

Two positions are tied when one supplier's clique of overlapping windows holds pairs of both (it cannot take
both), when they are in one all-or-nothing or same-offer group, when they belong to one request with a gender
target (its shortfall counts the request's seats together), or when a Member State's over-share term could bite
and both have a candidate of that state. Every objective level is a sum over positions, over such requests and
over such states, so the lexicographic optimum of the whole is the union of each component's own: the solver
solves them one by one and merges (docs/solver.md, "Decomposition").

A state's over-share term is left out of the ties when it can never be positive: its suppliers cannot fill more
than the quota even if each took as many of its candidate positions as its calendar allows.
"""

import hashlib
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np

from solver.score import state_quota
from solver.structure import Structure
from solver.suppliers import Ints


class _Union:
    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, a: int) -> int:
        parent = self.parent
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    def join(self, members: "list[int] | Ints") -> None:
        if len(members) < 2:
            return
        root = self.find(int(members[0]))
        for m in members[1:]:
            other = self.find(int(m))
            if other != root:
                self.parent[other] = root


def most_at_once(starts: Ints, ends: Ints) -> int:
    """The most intervals of one supplier that can be taken without overlap (earliest end first)."""
    count, free_from = 0, None
    for i in np.argsort(ends, kind="stable"):
        if free_from is None or starts[i] > free_from:
            count, free_from = count + 1, ends[i]
    return count


def binding_states(st: Structure) -> list[str]:
    """Member States whose over-share term could be positive in some plan."""
    quota = state_quota(st)
    rest = st.inst.parameters.rest_days
    starts = np.array([p.start.toordinal() for p in st.inst.positions], dtype=np.int64)
    ends = np.array([p.end.toordinal() for p in st.inst.positions], dtype=np.int64) + rest
    by_state: defaultdict[str, list[int]] = defaultdict(list)
    for k, s in enumerate(st.pair_sup):
        ms = st.sup.member_state[s]
        if ms is not None:
            by_state[ms].append(k)
    out = []
    for ms, pairs in by_state.items():
        ks = np.asarray(pairs, dtype=np.int64)
        if len(np.unique(st.pair_pos[ks])) <= quota:
            continue
        most = 0
        for s in np.unique(st.pair_sup[ks]):
            own = ks[st.pair_sup[ks] == s]
            ps = st.pair_pos[own]
            most += min(len(own), int(st.sup.capacity[s]) * most_at_once(starts[ps], ends[ps]))
            if most > quota:
                out.append(ms)
                break
    return out


@dataclass
class Component:
    """Position indices of one independent part, and a digest of everything its optimum depends on."""

    positions: list[int]
    pairs: Ints
    digest: str = ""
    previous_digest: str = ""
    chosen: Ints = field(default_factory=lambda: np.zeros(0, dtype=np.int64))


def components(st: Structure) -> list[Component]:
    """The independent parts of a structure, largest first; positions without a candidate are left out."""
    n = len(st.inst.positions)
    union = _Union(n)
    pos_of = st.pair_pos.tolist()
    for pairs, _ in st.cliques:
        union.join([pos_of[k] for k in pairs])
    for groups in (st.all_or_nothing, st.same_offer):
        for members in groups.values():
            union.join(members)
    targets = st.inst.parameters.gender_targets
    by_request: defaultdict[str, list[int]] = defaultdict(list)
    for i, p in enumerate(st.inst.positions):
        if targets.get(p.request_id, 0) > 0:
            by_request[p.request_id].append(i)
    for members in by_request.values():
        union.join(members)
    binding = set(binding_states(st))
    if binding:
        for ms in binding:
            union.join(np.unique(st.pair_pos[[k for k, s in enumerate(st.pair_sup) if st.sup.member_state[s] == ms]]))
    roots = [union.find(i) for i in range(n)]
    by_root: defaultdict[int, list[int]] = defaultdict(list)
    for i in range(n):
        if len(st.pos_pairs[i]):
            by_root[roots[i]].append(i)
    ties: defaultdict[int, list[tuple[list[int], int]]] = defaultdict(list)
    for pairs, cap in st.cliques:
        ties[roots[pos_of[pairs[0]]]].append((pairs, cap))
    found = []
    for root, ps in by_root.items():
        c = Component(ps, np.concatenate([st.pos_pairs[i] for i in ps]))
        c.digest, c.previous_digest = digests(st, c, ties[root])
        found.append(c)
    return sorted(found, key=lambda c: (-len(c.pairs), c.positions[0]))


def digests(st: Structure, c: Component, ties: list[tuple[list[int], int]]) -> tuple[str, str]:
    """What the component's optimum depends on (its pairs, scores, tiers, cliques, groups, pins, and the quota and
    targets that reach it), and apart from that, which of its pairs were in the previous plan."""
    inst = st.inst
    h = hashlib.blake2b(digest_size=16)
    ids = [f"{inst.positions[i].id}/{st.sup.ids[s]}" for i, s in zip(st.pair_pos[c.pairs], st.pair_sup[c.pairs])]
    h.update("\n".join(ids).encode())
    tiers = np.array([inst.positions[i].priority for i in c.positions], dtype=np.int64)
    at = np.searchsorted(np.asarray(c.positions), st.pair_pos[c.pairs])
    for arr in (tiers[at], st.fit[c.pairs], st.spc[c.pairs], st.sup.female[st.pair_sup[c.pairs]]):
        h.update(np.ascontiguousarray(arr, dtype=np.int64).tobytes())
    for pairs, cap in ties:
        h.update(np.searchsorted(c.pairs, pairs).astype(np.int64).tobytes() + f"<={cap};".encode())
    mine = set(c.positions)
    groups = sorted(
        (kind, sorted(inst.positions[i].id for i in m))
        for kind, gs in (("aon", st.all_or_nothing), ("same", st.same_offer))
        for m in gs.values()
        if mine.intersection(m)
    )
    pins = np.searchsorted(c.pairs, [k for k in st.pinned_pairs if int(st.pair_pos[k]) in mine]).tolist()
    requests = sorted({inst.positions[i].request_id for i in c.positions})
    targets = [(r, inst.parameters.gender_targets.get(r)) for r in requests]
    states = [st.sup.member_state[s] for s in st.pair_sup[c.pairs]]
    h.update(repr((groups, pins, targets, state_quota(st), inst.parameters.weights, states)).encode())
    previous = hashlib.blake2b(np.flatnonzero(st.previous[c.pairs]).tobytes(), digest_size=16).hexdigest()
    return h.hexdigest(), previous


def restrict(st: Structure, c: Component) -> Structure:
    """The structure of one component: its pairs renumbered from 0; positions keep their indices."""
    ks = c.pairs
    local = np.full(st.n_pairs, -1, dtype=np.int64)
    local[ks] = np.arange(len(ks))
    empty = np.zeros(0, dtype=np.int64)
    pos_pairs = [empty] * len(st.pos_pairs)
    for i in c.positions:
        pos_pairs[i] = local[st.pos_pairs[i]]
    mine = set(c.positions)
    cliques = [(local[pairs].tolist(), cap) for pairs, cap in st.cliques if int(st.pair_pos[pairs[0]]) in mine]
    return Structure(
        st.inst,
        st.sup,
        st.filtered,
        st.pair_pos[ks],
        st.pair_sup[ks],
        st.priority_weight[ks],
        st.fit[ks],
        st.spc[ks],
        st.previous[ks],
        pos_pairs,
        cliques=cliques,
        all_or_nothing={g: m for g, m in st.all_or_nothing.items() if mine.intersection(m)},
        same_offer={g: m for g, m in st.same_offer.items() if mine.intersection(m)},
        pinned_pairs=[int(local[k]) for k in st.pinned_pairs if local[k] >= 0],
        previous_total=int(st.previous[ks].sum()),
        tier_weight=st.tier_weight,
        position_index=st.position_index,
    )
