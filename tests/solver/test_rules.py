"""One test per hard rule: it bites on a tiny instance, and it does not over-reach."""

import pytest

import solver
from schemas.instance import DateRange, Deployment, ForbiddenPair, Parameters, Pin
from tests.solver.factory import day, expert, filled, instance, offer, position

# (rule named in the explanation, expert that breaks it, expert at the boundary that passes)
EXPERT_RULES = [
    ("category", dict(category="military"), dict(category="police")),
    ("level", dict(levels=["tactical"]), dict(levels=["tactical", "strategic"])),
    ("skill:SSR-POLICY>=3", dict(skills={"SSR-POLICY": 2, "DDR-PLAN": 5}), dict(skills={"SSR-POLICY": 3})),
    ("language:fr>=3", dict(languages={"fr": 2, "en": 5}), dict(languages={"fr": 3})),
    ("grade", dict(grade=5), dict(grade=4)),
    ("grade", dict(grade=None), dict(grade=2)),
    ("nationality", dict(nationality="CAF"), dict(nationality="CMR")),
    (
        "credential:HR-SCREENING",
        dict(credentials={"HR-SCREENING": day(279)}),
        dict(credentials={"HR-SCREENING": day(280)}),
    ),
    ("credential:HR-SCREENING", dict(credentials={}), dict(credentials={"HR-SCREENING": day(280)})),
    (
        "availability",
        dict(availability=[DateRange(start=day(0), end=day(279))]),
        dict(availability=[DateRange(start=day(100), end=day(280))]),
    ),
    (
        "availability",
        dict(leave=[DateRange(start=day(280), end=day(290))]),
        dict(leave=[DateRange(start=day(281), end=day(290))]),
    ),
    ("notice", dict(notice_days=101), dict(notice_days=100)),
]


def _solve(inst):
    plan = solver.solve(inst, workers=1, seed=0, time_limit=10)
    assert solver.check(inst, plan) == []
    return plan


@pytest.mark.parametrize("rule,bad,good", EXPERT_RULES, ids=[f"{r[0]}-{i}" for i, r in enumerate(EXPERT_RULES)])
def test_expert_rule_bites_and_does_not_over_reach(rule, bad, good):
    bitten = _solve(instance([expert(**bad)], [position()]))
    assert filled(bitten) == {}
    assert rule in [e.rule for e in bitten.unfilled[0].eliminations]
    kept = _solve(instance([expert(**good)], [position()]))
    assert filled(kept) == {"P1": "E1"}


def test_category_open_position_accepts_any_category():
    plan = _solve(instance([expert(category="military")], [position(category=None)]))
    assert filled(plan) == {"P1": "E1"}


@pytest.mark.parametrize("end,ok", [(86, False), (85, True)])
def test_existing_deployment_blocks_with_rest_gap(end, ok):
    dep = Deployment(supplier_id="E1", start=day(0), end=day(end))
    plan = _solve(instance([expert()], [position()], deployments=[dep], parameters=Parameters(rest_days=14)))
    assert (filled(plan) == {"P1": "E1"}) is ok
    if not ok:
        assert plan.unfilled[0].eliminations[-1].rule == "deployed"
        assert "until 2027-03-28" in plan.unfilled[0].reason


@pytest.mark.parametrize(
    "caveat,ok",
    [
        (dict(excluded_missions=["MINUSCA"]), False),
        (dict(excluded_missions=["UNMISS"]), True),
        (dict(excluded_states=["CAF"]), False),
        (dict(excluded_states=["SSD"]), True),
        (dict(max_duration_days=180), False),
        (dict(max_duration_days=181), True),
        (dict(available_to=day(279)), False),
        (dict(available_to=day(280)), True),
    ],
)
def test_offer_caveats(caveat, ok):
    plan = _solve(instance([], [position()], offers=[offer(**caveat)]))
    assert (filled(plan) == {"P1": "O1"}) is ok


@pytest.mark.parametrize(
    "readiness,lowest,ok",
    [
        ("pledged", "assessed", False),
        ("assessed", "assessed", True),
        ("ready", "rapid_deployment", False),
        ("rapid_deployment", "rapid_deployment", True),
        ("pledged", "pledged", True),
    ],
)
def test_readiness_bites_on_offers_below_the_plans_lowest_and_does_not_over_reach(readiness, lowest, ok):
    parameters = Parameters(time_limit=10, min_readiness=lowest)
    plan = _solve(instance([], [position()], offers=[offer(readiness=readiness)], parameters=parameters))
    assert (filled(plan) == {"P1": "O1"}) is ok
    if not ok:
        assert [e.rule for e in plan.unfilled[0].eliminations] == ["readiness"]
        assert f"not yet {lowest.replace('_', ' ')}" in plan.unfilled[0].eliminations[0].detail
    # experts are not offers: the readiness an offer needs never keeps an expert out
    strict = Parameters(time_limit=10, min_readiness="rapid_deployment")
    assert filled(_solve(instance([expert()], [position()], parameters=strict))) == {"P1": "E1"}
    assert solver.eligibility(
        instance([], [position()], offers=[offer(readiness=readiness)], parameters=parameters), "P1", "O1"
    ) == ([] if ok else [solver.BrokenRule(rule="readiness", detail=plan.unfilled[0].eliminations[0].detail)])


def test_offer_state_is_not_the_host_state():
    assert filled(_solve(instance([], [position()], offers=[offer(state="CAF")]))) == {}
    assert filled(_solve(instance([], [position()], offers=[offer(state="CMR")]))) == {"P1": "O1"}


def test_no_two_overlapping_positions_for_one_person():
    a, b = position("P1"), position("P2", start=day(200), end=day(400))
    plan = _solve(instance([expert()], [a, b]))
    assert len(plan.assignments) == 1


@pytest.mark.parametrize("gap,both", [(14, False), (15, True)])
def test_rest_gap_between_two_positions(gap, both):
    a = position("P1", start=day(100), end=day(200))
    b = position("P2", start=day(200 + gap), end=day(300 + gap))
    plan = _solve(instance([expert()], [a, b], parameters=Parameters(rest_days=14)))
    assert len(plan.assignments) == (2 if both else 1)


@pytest.mark.parametrize("slots,n", [(2, 2), (3, 3)])
def test_offer_slots_cap_overlapping_positions(slots, n):
    ps = [position(f"P{i}") for i in range(1, 4)]
    plan = _solve(instance([], ps, offers=[offer(slots=slots)]))
    assert len(plan.assignments) == n
    assert len({a.slot for a in plan.assignments}) == n
    assert all(1 <= a.slot <= slots for a in plan.assignments)


def test_offer_slot_is_reused_after_a_position_ends():
    ps = [position("P1", end=day(150)), position("P2", start=day(200), end=day(300))]
    plan = _solve(instance([], ps, offers=[offer(slots=1)]))
    assert [a.slot for a in plan.assignments] == [1, 1]


def test_offer_existing_deployment_takes_a_slot():
    dep = Deployment(supplier_id="O1", start=day(0), end=day(400))
    ps = [position("P1"), position("P2")]
    plan = _solve(instance([], ps, offers=[offer(slots=2)], deployments=[dep]))
    assert len(plan.assignments) == 1


def test_all_or_nothing_group_bites():
    a = position("P1", group="G", all_or_nothing=True)
    b = position("P2", group="G", all_or_nothing=True, required_skills={"RARE": 5})
    plan = _solve(instance([expert("E1"), expert("E2")], [a, b]))
    assert filled(plan) == {}
    assert "all-or-nothing" in plan.unfilled[0].reason


def test_all_or_nothing_group_filled_whole():
    a = position("P1", group="G", all_or_nothing=True)
    b = position("P2", group="G", all_or_nothing=True)
    plan = _solve(instance([expert("E1"), expert("E2")], [a, b]))
    assert set(filled(plan)) == {"P1", "P2"}


def test_plain_group_is_not_all_or_nothing():
    a = position("P1", group="G")
    b = position("P2", group="G", required_skills={"RARE": 5})
    assert filled(_solve(instance([expert()], [a, b]))) == {"P1": "E1"}


def test_same_offer_group_bites():
    ps = [position("P1", group="T", same_offer=True), position("P2", group="T", same_offer=True)]
    plan = _solve(instance([expert("E1"), expert("E2")], ps, offers=[offer("O1", slots=1), offer("O2", slots=1)]))
    assert len(plan.assignments) == 1
    assert all(a.supplier_id.startswith("O") for a in plan.assignments)
    assert "team from one offer" in plan.unfilled[0].reason


def test_same_offer_group_from_one_offer():
    ps = [position("P1", group="T", same_offer=True), position("P2", group="T", same_offer=True)]
    plan = _solve(instance([], ps, offers=[offer("O1", slots=1), offer("O2", slots=2)]))
    assert filled(plan) == {"P1": "O2", "P2": "O2"}


def test_pin_is_kept_over_a_better_fit():
    best = expert("E1", skills={"SSR-POLICY": 5})
    plain = expert("E2")
    pins = [Pin(position_id="P1", supplier_id="E2")]
    plan = _solve(instance([best, plain], [position()], pins=pins))
    assert filled(plan) == {"P1": "E2"}
    assert plan.assignments[0].pinned


def test_pin_does_not_block_other_positions():
    pins = [Pin(position_id="P1", supplier_id="E2")]
    plan = _solve(instance([expert("E1"), expert("E2")], [position("P1"), position("P2")], pins=pins))
    assert filled(plan) == {"P1": "E2", "P2": "E1"}


def test_conflicting_pins_are_reported_infeasible():
    pins = [Pin(position_id="P1", supplier_id="E1"), Pin(position_id="P2", supplier_id="E1")]
    plan = solver.solve(instance([expert()], [position("P1"), position("P2")], pins=pins), workers=1)
    assert plan.status == "infeasible"
    assert plan.assignments == []
    assert "E1 is pinned to P1 and to overlapping P2" in plan.messages


def test_forbidden_pair_is_never_proposed():
    forbidden = [ForbiddenPair(position_id="P1", supplier_id="E1")]
    plan = _solve(instance([expert()], [position()], forbidden=forbidden))
    assert filled(plan) == {}
    assert plan.unfilled[0].eliminations[-1].rule == "forbidden"


def test_forbidden_pair_only_bans_that_pair():
    forbidden = [ForbiddenPair(position_id="P2", supplier_id="E1")]
    plan = _solve(instance([expert()], [position("P1")], forbidden=forbidden))
    assert filled(plan) == {"P1": "E1"}


def test_same_offer_position_is_not_given_to_an_expert():
    plan = _solve(instance([expert()], [position(group="T", same_offer=True)]))
    assert filled(plan) == {}
    assert plan.unfilled[0].eliminations[-1].rule == "same_offer"


def test_a_pin_in_a_group_that_cannot_be_completed_is_named():
    a = position("P1", group="G", all_or_nothing=True)
    b = position("P2", group="G", all_or_nothing=True, required_skills={"RARE": 5})
    pins = [Pin(position_id="P1", supplier_id="E1")]
    plan = solver.solve(instance([expert()], [a, b], pins=pins), workers=1)
    assert plan.status == "infeasible"
    assert "these cannot hold together: group G is all-or-nothing; pin P1/E1" in plan.messages


@pytest.mark.parametrize("rule,bad,good", EXPERT_RULES, ids=[f"{r[0]}-{i}" for i, r in enumerate(EXPERT_RULES)])
def test_eligibility_names_the_rule_a_supplier_breaks_and_only_it(rule, bad, good):
    """The one-seat check (approval, at-risk deployments) runs the filter's own rules."""
    broken = solver.eligibility(instance([expert(**bad)], [position()]), "P1", "E1")
    assert [b.rule for b in broken] == [rule] and broken[0].detail
    assert solver.eligibility(instance([expert(**good)], [position()]), "P1", "E1") == []


def test_eligibility_names_every_broken_rule_in_the_filters_order():
    broken = solver.eligibility(
        instance([expert(category="military", grade=9, nationality="CAF")], [position()]), "P1", "E1"
    )
    assert [b.rule for b in broken] == ["category", "grade", "nationality"]


def test_eligibility_of_an_offer_and_of_a_deployed_expert():
    caveat = instance(offers=[offer(excluded_missions=["MINUSCA"])], positions=[position()])
    assert [b.rule for b in solver.eligibility(caveat, "P1", "O1")] == ["offer_caveats"]
    busy = instance([expert()], [position()], deployments=[Deployment(supplier_id="E1", start=day(90), end=day(120))])
    assert [b.rule for b in solver.eligibility(busy, "P1", "E1")] == ["deployed"]
