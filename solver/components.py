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
import itertools
from dataclasses import dataclass

import numpy as np

from solver.score import state_quota
from solver.structure import Structure
from solver.suppliers import Ints


def _flat(cliques: list[tuple[list[int], int]]) -> tuple[Ints, Ints, Ints]:
    """Cliques as flat arrays: every member pair, the clique it belongs to, and each clique's capacity."""
    sizes = np.fromiter((len(p) for p, _ in cliques), dtype=np.int64, count=len(cliques))
    members = np.fromiter(itertools.chain.from_iterable(p for p, _ in cliques), dtype=np.int64, count=int(sizes.sum()))
    caps = np.fromiter((c for _, c in cliques), dtype=np.int64, count=len(cliques))
    return members, np.repeat(np.arange(len(cliques)), sizes), caps


def _labels(n: int, a: Ints, b: Ints) -> Ints:
    """Connected components of n nodes joined by the edges (a, b): each node's smallest node id in its part."""
    labels = np.arange(n)
    while True:
        low = np.minimum(labels[a], labels[b])
        before = labels.copy()
        np.minimum.at(labels, a, low)
        np.minimum.at(labels, b, low)
        labels = labels[labels]
        while not np.array_equal(labels, labels[labels]):
            labels = labels[labels]
        if np.array_equal(labels, before):
            return labels


def _chain(groups: Ints, nodes: Ints) -> tuple[Ints, Ints]:
    """Edges joining consecutive nodes of each group (nodes sorted by group)."""
    same = groups[1:] == groups[:-1]
    return nodes[:-1][same], nodes[1:][same]


def most_at_once(starts: list[int], ends: list[int]) -> int:
    """The most intervals of one supplier that can be taken without overlap (earliest end first)."""
    count, free_from = 0, None
    for e, st in sorted(zip(ends, starts)):
        if free_from is None or st > free_from:
            count, free_from = count + 1, e
    return count


def _state_codes(st: Structure) -> tuple[list[str], Ints]:
    """Member States as codes: the list of states and each supplier's code (-1: UN staff)."""
    states = sorted({ms for ms in st.sup.member_state if ms is not None})
    code = {ms: i for i, ms in enumerate(states)}
    return states, np.array([code.get(ms, -1) if ms else -1 for ms in st.sup.member_state], dtype=np.int64)


def binding_states(st: Structure) -> list[str]:
    """Member States whose over-share term could be positive in some plan."""
    quota = state_quota(st)
    rest = st.inst.parameters.rest_days
    states, codes = _state_codes(st)
    pair_state = codes[st.pair_sup]
    starts = [p.start.toordinal() for p in st.inst.positions]
    ends = [p.end.toordinal() + rest for p in st.inst.positions]
    out = []
    for c, ms in enumerate(states):
        ks = np.flatnonzero(pair_state == c)
        if len(np.unique(st.pair_pos[ks])) <= quota:
            continue
        order = ks[np.argsort(st.pair_sup[ks], kind="stable")]
        sups, first = np.unique(st.pair_sup[order], return_index=True)
        most = 0
        for s, own in zip(sups, np.split(st.pair_pos[order], first[1:])):
            ps = own.tolist()
            most += min(len(ps), int(st.sup.capacity[s]) * most_at_once([starts[i] for i in ps], [ends[i] for i in ps]))
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


def _ties(st: Structure, members: Ints, clique_of: Ints) -> tuple[Ints, Ints]:
    """Edges between seats that must be solved together: cliques, groups, gender targets, binding states."""
    n = len(st.inst.positions)
    edges = [_chain(clique_of, st.pair_pos[members])]
    for groups in (st.all_or_nothing, st.same_offer):
        for m in groups.values():
            edges.append((np.asarray(m[:-1], dtype=np.int64), np.asarray(m[1:], dtype=np.int64)))
    targets = st.inst.parameters.gender_targets
    request = [p.request_id for p in st.inst.positions]
    by_request = sorted((i for i in range(n) if targets.get(request[i], 0) > 0), key=lambda i: request[i])
    number = {r: j for j, r in enumerate(dict.fromkeys(request[i] for i in by_request))}
    codes = np.array([number[request[i]] for i in by_request], dtype=np.int64)
    edges.append(_chain(codes, np.asarray(by_request, dtype=np.int64)))
    binding = binding_states(st)
    if binding:
        states, supplier_state = _state_codes(st)
        wanted = np.isin(supplier_state[st.pair_sup], [states.index(ms) for ms in binding])
        pairs = np.flatnonzero(wanted)
        order = np.lexsort((st.pair_pos[pairs], supplier_state[st.pair_sup[pairs]]))
        edges.append(_chain(supplier_state[st.pair_sup[pairs]][order], st.pair_pos[pairs][order]))
    return np.concatenate([e[0] for e in edges]), np.concatenate([e[1] for e in edges])


def components(st: Structure) -> list[Component]:
    """The independent parts of a structure, largest first; positions without a candidate are left out."""
    members, clique_of, caps = _flat(st.cliques)
    labels = _labels(len(st.inst.positions), *_ties(st, members, clique_of))
    has = np.array([len(p) > 0 for p in st.pos_pairs], dtype=bool)
    ps_all = np.flatnonzero(has)
    if len(ps_all) == 0:
        return []
    ps_all = ps_all[np.argsort(labels[ps_all], kind="stable")]
    pos_labels, pos_first = np.unique(labels[ps_all], return_index=True)
    firsts = np.r_[0, np.cumsum(np.bincount(clique_of, minlength=len(caps)))[:-1]] if len(caps) else clique_of
    clique_label = labels[st.pair_pos[members[firsts]]] if len(caps) else caps
    by_label = np.argsort(clique_label, kind="stable")
    cut = np.searchsorted(clique_label[by_label], pos_labels)
    ends = np.r_[cut[1:], len(by_label)]
    found = []
    for j, ps in enumerate(np.split(ps_all, pos_first[1:])):
        c = Component(ps.tolist(), np.concatenate([st.pos_pairs[i] for i in ps]))
        mine = np.sort(by_label[cut[j] : ends[j]])
        c.digest, c.previous_digest = digests(st, c, [st.cliques[q] for q in mine.tolist()])
        found.append(c)
    return sorted(found, key=lambda c: (-len(c.pairs), c.positions[0]))


def digests(st: Structure, c: Component, ties: list[tuple[list[int], int]]) -> tuple[str, str]:
    """What the component's optimum depends on (its pairs, scores, tiers, cliques, groups, pins, and the quota and
    targets that reach it), and apart from that, which of its pairs were in the previous plan."""
    inst = st.inst
    h = hashlib.blake2b(digest_size=16)
    sups, sup_at = np.unique(st.pair_sup[c.pairs], return_inverse=True)
    pos_at = np.searchsorted(np.asarray(c.positions), st.pair_pos[c.pairs])
    h.update("\n".join(inst.positions[i].id for i in c.positions).encode() + b"|")
    h.update("\n".join(st.sup.ids[s] for s in sups).encode() + b"|")
    h.update(repr([st.sup.member_state[s] for s in sups]).encode())
    tiers = np.array([inst.positions[i].priority for i in c.positions], dtype=np.int64)
    for arr in (pos_at, sup_at, tiers, st.fit[c.pairs], st.spc[c.pairs], st.sup.female[sups]):
        h.update(np.ascontiguousarray(arr, dtype=np.int64).tobytes() + b"|")
    if ties:
        members, clique_of, caps = _flat(ties)
        for arr in (np.searchsorted(c.pairs, members), clique_of, caps):
            h.update(np.ascontiguousarray(arr, dtype=np.int64).tobytes() + b"|")
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
    h.update(repr((groups, pins, targets, state_quota(st), inst.parameters.weights)).encode())
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
