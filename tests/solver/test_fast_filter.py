"""The indexed candidate filter gives exactly the reference filter's candidates and elimination trail."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as hs

from bench.generate import generate as bench_instance
from schemas.enums import SCREENING, Category, Level, Readiness
from schemas.instance import DateRange, Deployment, ForbiddenPair, Instance, Nominee, Parameters, Pin
from solver.candidates import generate, generate_reference
from tests.solver.factory import day, expert, instance, offer, position


def assert_same_filter(inst: Instance) -> None:
    sup, fast = generate(inst)
    _, ref = generate_reference(inst, sup)
    assert len(fast) == len(ref)
    for f, r in zip(fast, ref):
        assert f.position.id == r.position.id
        assert f.candidates.dtype == r.candidates.dtype, f.position.id
        assert f.candidates.tolist() == r.candidates.tolist(), f.position.id
        assert f.steps == r.steps, f.position.id
        assert f.pinned == r.pinned, f.position.id
    arrays = [f.candidates for f in fast if len(f.candidates)]
    for i, a in enumerate(arrays):  # the cached pools must not leak: each position owns its candidates
        assert not any(np.shares_memory(a, b) for b in arrays[i + 1 :])


@pytest.mark.parametrize(
    "name,seed", [("small", 0), ("small", 1), ("small", 2), ("tight", 0), ("tight", 1), ("realistic", 0)]
)
def test_fast_filter_equals_the_reference_on_bench_instances(name, seed):
    assert_same_filter(bench_instance(name, seed))


def test_fast_filter_equals_the_reference_on_bench_instances_with_pins_and_forbidden_pairs():
    inst = bench_instance("tight", 2)
    _, filtered = generate_reference(inst)
    with_candidates = [f for f in filtered if len(f.candidates) > 1]
    inst.pins = [Pin(position_id=f.position.id, supplier_id=inst.experts[0].id) for f in with_candidates[:3]]
    inst.forbidden = [
        ForbiddenPair(position_id=f.position.id, supplier_id=(inst.experts + inst.offers)[int(f.candidates[0])].id)
        for f in with_candidates[3:10]
    ]
    assert_same_filter(inst)


def _mixed_instance() -> Instance:
    """Every rule bites somewhere, and positions share categories and levels with different skills."""
    experts = [
        expert("E1"),
        expert("E2", skills={"SSR-POLICY": 2, "DDR-PLAN": 4}, levels=[Level.strategic, Level.tactical]),
        expert("E3", category=Category.military, skills={"DDR-PLAN": 3}, languages={"en": 3}),
        expert("E4", grade=None, leave=[DateRange(start=day(150), end=day(160))]),
        expert("E5", nationality="CAF", skills={"SSR-POLICY": 5}),
        expert("E6", credentials={SCREENING: day(200)}),
        expert("E7", availability=[DateRange(start=day(0), end=day(200))], grade=6),
        expert("E8", notice_days=200, levels=[Level.operational, Level.strategic]),
        expert("E9", skills={"SSR-POLICY": 4}, languages={"fr": 3}),
        expert("E10", category=Category.civilian, skills={}, languages={"ar": 4}),
    ]
    offers = [
        offer("O1"),
        offer("O2", excluded_missions=["MINUSCA"], readiness=Readiness.rapid_deployment),
        offer("O3", category=Category.military, skills={"DDR-PLAN": 3}, max_duration_days=90),
    ]
    nominees = [Nominee(supplier_id="E1", passed=["interview"]), Nominee(supplier_id="E2", failed=["interview"])]
    positions = [
        position("P1"),
        position("P2", category=None, required_skills={"DDR-PLAN": 3}),
        position("P3", category=Category.military, required_skills={"DDR-PLAN": 3}, languages={"en": 2}),
        position("P4", required_skills={}, languages={"fr": 3}),
        position("P5", required_skills={}, languages={}, category=None, level=Level.tactical),
        position("P5b", required_skills={}, languages={}, category=None, level=Level.tactical, grade_min=None),
        position("P6", nominated_only=True, nominees=nominees, stages=["interview"], required_skills={"SSR-POLICY": 2}),
        position("P7", stages=["interview", "language_test"], nominees=nominees),
        position("P8", group="T1", same_offer=True),
        position("P9", group="T1", same_offer=True, required_skills={"SSR-POLICY": 2}),
        position("P10", grade_min=None, grade_max=None, host_states=["SEN"]),
        position("P11", category=Category.civilian, required_skills={"SSR-POLICY": 3}),
        position("P12", category=Category.civilian, required_skills={}, languages={"ar": 3}),
        position("P13", start=day(10), end=day(400), credentials=[SCREENING, "driving"]),
        position("P14", nominated_only=True),
        position("P15", required_skills={"SSR-POLICY": 2, "DDR-PLAN": 4}),
    ]
    return instance(
        experts,
        positions,
        offers=offers,
        deployments=[Deployment(supplier_id="E9", start=day(-10), end=day(120))],
        pins=[Pin(position_id="P11", supplier_id="E1"), Pin(position_id="P1", supplier_id="E1")],
        forbidden=[
            ForbiddenPair(position_id="P1", supplier_id="E9"),
            ForbiddenPair(position_id="P2", supplier_id="O3"),
        ],
        credential_names={"driving": "driving permit"},
        parameters=Parameters(time_limit=5, min_readiness=Readiness.pledged),
    )


def test_fast_filter_equals_the_reference_on_a_hand_made_instance_where_every_rule_bites():
    inst = _mixed_instance()
    assert_same_filter(inst)
    _, filtered = generate_reference(inst)
    bitten = {name.split(":")[0] for f in filtered for name, *_ in f.steps}
    assert {"category", "level", "skill", "language", "grade", "nationality", "credential"} <= bitten
    assert {"availability", "deployed", "notice", "nomination", "assessment_failed", "same_offer"} <= bitten


def test_fast_filter_equals_the_reference_with_readiness_and_provisional_plans():
    inst = _mixed_instance()
    inst.parameters = Parameters(time_limit=5, min_readiness=Readiness.rapid_deployment, provisional=True)
    assert_same_filter(inst)


def test_fast_filter_equals_the_reference_on_an_empty_pool():
    assert_same_filter(instance([], [position("P1"), position("P2", category=None)]))


CODES = ["SSR-POLICY", "DDR-PLAN", "LOG-OPS"]
levels_st = hs.lists(hs.sampled_from(list(Level)), min_size=1, max_size=3, unique=True)
proficiency_st = hs.dictionaries(hs.sampled_from(CODES), hs.integers(1, 5), max_size=3)
language_st = hs.dictionaries(hs.sampled_from(["fr", "en"]), hs.integers(1, 5), max_size=2)
experts_st = hs.builds(
    lambda i, cat, lv, skills, langs, grade: expert(
        f"E{i}", category=cat, levels=lv, skills=skills, languages=langs, grade=grade
    ),
    hs.integers(0, 40),
    hs.sampled_from(list(Category)[:3]),
    levels_st,
    proficiency_st,
    language_st,
    hs.sampled_from([None, 2, 3, 5]),
)
positions_st = hs.builds(
    lambda i, cat, lv, skills, langs: position(
        f"P{i}", category=cat, level=lv, required_skills=skills, languages=langs, grade_min=None, grade_max=None
    ),
    hs.integers(0, 20),
    hs.sampled_from([None, *list(Category)[:3]]),
    hs.sampled_from(list(Level)),
    hs.dictionaries(hs.sampled_from(CODES), hs.integers(1, 4), max_size=2),
    hs.dictionaries(hs.sampled_from(["fr", "en"]), hs.integers(1, 4), max_size=1),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    hs.lists(experts_st, max_size=12, unique_by=lambda e: e.id),
    hs.lists(positions_st, min_size=1, max_size=8, unique_by=lambda p: p.id),
    hs.integers(0, 2),
)
def test_fast_filter_equals_the_reference_on_random_instances(experts, positions, n_offers):
    offers = [offer(f"O{i}", category=list(Category)[i]) for i in range(n_offers)]
    assert_same_filter(instance(experts, positions, offers=offers))
