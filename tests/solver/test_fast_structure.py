"""The vectorised parts of the structure give exactly what the plain per-supplier and per-pair loops give."""

from collections import defaultdict

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as hs

from bench.generate import generate as bench_instance
from schemas.instance import Deployment, Instance, Parameters, PreviousAssignment
from solver.structure import Structure, build_structure, maximal_cliques
from tests.solver.factory import day, expert, instance, offer, position


def cliques_by_loop(st: Structure, rest: int) -> list[tuple[list[int], int]]:
    """Each supplier's pairs and (for an offer) deployments swept by ``maximal_cliques``, one supplier at a time."""
    starts = np.array([p.start.toordinal() for p in st.inst.positions], dtype=np.int64)
    ends = np.array([p.end.toordinal() for p in st.inst.positions], dtype=np.int64) + rest
    deps = defaultdict(list)
    dp = st.sup.deployments
    for o, s, e in zip(dp.owner, dp.start, dp.end):
        if st.sup.is_offer[o]:
            deps[int(o)].append((int(s), int(e) + rest))
    out = []
    for s in range(len(st.sup)):
        pairs = np.flatnonzero(st.pair_sup == s)
        cap, fixed = int(st.sup.capacity[s]), deps.get(s, [])
        a = [int(starts[st.pair_pos[k]]) for k in pairs] + [f[0] for f in fixed]
        b = [int(ends[st.pair_pos[k]]) for k in pairs] + [f[1] for f in fixed]
        for clique in maximal_cliques(a, b):
            var = [int(pairs[i]) for i in clique if i < len(pairs)]
            n_fixed = len(clique) - len(var)
            if len(var) + n_fixed > cap and var:
                out.append((var, max(cap - n_fixed, 0)))
    return out


def previous_by_loop(st: Structure) -> list[bool]:
    keys = {(p.position_id, p.supplier_id) for p in st.inst.previous}
    return [(st.inst.positions[i].id, st.sup.ids[s]) in keys for i, s in zip(st.pair_pos, st.pair_sup)]


def assert_same_structure(inst: Instance) -> None:
    st = build_structure(inst)
    assert st.cliques == cliques_by_loop(st, inst.parameters.rest_days)
    assert st.previous.tolist() == previous_by_loop(st)


@pytest.mark.parametrize("name,seed", [("small", 0), ("small", 1), ("tight", 0), ("tight", 3)])
def test_cliques_and_previous_pairs_equal_the_loops_on_bench_instances(name, seed):
    inst = bench_instance(name, seed)
    offers = [o.id for o in inst.offers]
    inst.deployments += [
        Deployment(supplier_id=o, start=day(30 * i), end=day(30 * i + 200)) for i, o in enumerate(offers)
    ]
    inst.previous = [
        PreviousAssignment(position_id=p.id, supplier_id=s)
        for p, s in zip(inst.positions[::2], [e.id for e in inst.experts] + offers)
    ]
    assert_same_structure(inst)


def test_cliques_with_ties_on_start_dates_offer_slots_and_deployments():
    positions = [
        position("P1", start=day(100), end=day(200)),
        position("P2", start=day(100), end=day(150)),
        position("P3", start=day(150), end=day(300)),
        position("P4", start=day(201), end=day(260)),
        position("P5", start=day(100), end=day(100)),
        position("P6", start=day(400), end=day(500)),
    ]
    offers = [offer("O1", slots=2), offer("O2", slots=1), offer("O3", slots=3)]
    deployments = [
        Deployment(supplier_id="O1", start=day(90), end=day(120)),
        Deployment(supplier_id="O3", start=day(140), end=day(160)),
        Deployment(supplier_id="O3", start=day(140), end=day(180)),
        Deployment(supplier_id="O3", start=day(150), end=day(600)),
    ]
    for rest in (0, 1, 30):
        inst = instance(
            [expert("E1"), expert("E2")],
            positions,
            offers=offers,
            deployments=deployments,
            parameters=Parameters(time_limit=5, rest_days=rest),
        )
        assert_same_structure(inst)
        assert build_structure(inst).cliques


interval_st = hs.tuples(hs.integers(20, 120), hs.integers(0, 60))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    hs.lists(interval_st, min_size=1, max_size=8),
    hs.lists(hs.integers(1, 3), max_size=3),
    hs.lists(hs.tuples(hs.integers(0, 2), interval_st), max_size=4),
    hs.integers(0, 10),
)
def test_cliques_equal_the_loop_on_random_windows(windows, slots, deps, rest):
    positions = [position(f"P{i}", start=day(a), end=day(a + n)) for i, (a, n) in enumerate(windows)]
    offers = [offer(f"O{i}", slots=n) for i, n in enumerate(slots)]
    deployments = [
        Deployment(supplier_id=offers[o].id, start=day(a), end=day(a + n)) for o, (a, n) in deps if o < len(offers)
    ]
    inst = instance(
        [expert("E1", notice_days=0)],
        positions,
        offers=offers,
        deployments=deployments,
        parameters=Parameters(time_limit=5, rest_days=rest),
    )
    assert_same_structure(inst)
