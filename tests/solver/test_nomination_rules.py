"""Planning on candidates: the nomination and assessment rules bite, do not over-reach, and say why in words."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as hs

import solver
from schemas.instance import Nominee, Parameters
from schemas.plan import Assignment, Plan
from solver.checker import _eligibility
from tests.solver.factory import expert, filled, instance, offer, position

STRICT = Parameters(time_limit=10)
PROVISIONAL = Parameters(time_limit=10, provisional=True)


def _solve(inst):
    plan = solver.solve(inst, workers=1, seed=0, time_limit=10)
    assert solver.check(inst, plan) == []
    greedy = solver.greedy(inst)  # every consumer of the candidate filter applies the same rules
    assert solver.check(inst, greedy) == []
    assert filled(greedy) == filled(plan)
    return plan


def _trail(plan) -> list[tuple[str, int, str]]:
    (unfilled,) = plan.unfilled
    return [(e.rule, e.eliminated, e.detail) for e in unfilled.eliminations]


def _violations(inst, supplier: str = "E1") -> list[str]:
    plan = Plan(status="feasible", assignments=[Assignment(position_id="P1", supplier_id=supplier, slot=1)])
    return solver.check(inst, plan)


def test_a_nominations_only_seat_takes_its_nominee_and_not_the_better_roster_expert():
    seat = position(nominated_only=True, nominees=[Nominee(supplier_id="E2")], desired_skills={"DDR-PLAN": 3})
    better = expert("E1", skills={"SSR-POLICY": 5, "DDR-PLAN": 5})
    inst = instance([better, expert("E2")], [seat])
    assert filled(_solve(inst)) == {"P1": "E2"}
    assert solver.eligibility(inst, "P1", "E1") == [
        solver.BrokenRule(rule="nomination", detail="were not nominated for this position")
    ]
    assert any("nomination" in v for v in _violations(inst, "E1"))
    assert _violations(inst, "E2") == []


def test_a_seat_without_any_nomination_says_none_was_received():
    inst = instance([expert("E1"), expert("E2")], [position(nominated_only=True)])
    plan = _solve(inst)
    assert filled(plan) == {}
    assert _trail(plan) == [("nomination", 2, "were not nominated: no nomination was received for this position")]
    assert "no nomination was received" in plan.unfilled[0].reason


def test_nomination_comes_after_the_other_rules_in_the_trail():
    inst = instance([expert("E1", languages={"en": 5}), expert("E2")], [position(nominated_only=True)])
    assert [rule for rule, _, _ in _trail(_solve(inst))] == ["language:fr>=3", "nomination"]


def test_a_seat_open_to_the_roster_takes_a_roster_expert_beside_nominees_elsewhere():
    # nominees listed but the seat is not nominations-only (pool "both", no call on it): the roster stays open
    inst = instance([expert("E1")], [position(nominees=[Nominee(supplier_id="E9")])])
    assert filled(_solve(inst)) == {"P1": "E1"}
    assert _violations(inst) == []


def test_an_offer_can_be_a_nominee():
    seat = position(nominated_only=True, nominees=[Nominee(supplier_id="O1")])
    assert filled(_solve(instance([expert("E1")], [seat], offers=[offer()]))) == {"P1": "O1"}


@pytest.mark.parametrize("parameters", [STRICT, PROVISIONAL], ids=["strict", "provisional"])
def test_a_failed_stage_always_excludes(parameters):
    nominees = [Nominee(supplier_id="E1", passed=["language_test"], failed=["interview"])]
    seat = position(nominated_only=True, nominees=nominees, stages=["interview", "language_test"])
    inst = instance([expert("E1")], [seat], parameters=parameters)
    plan = _solve(inst)
    assert filled(plan) == {}
    assert _trail(plan) == [("assessment_failed", 1, "failed the interview")]
    assert "failed stage interview" in " ".join(_violations(inst))


def test_a_nominee_who_passed_every_stage_is_taken():
    nominees = [Nominee(supplier_id="E1", passed=["interview", "language_test"])]
    seat = position(nominated_only=True, nominees=nominees, stages=["interview", "language_test"])
    inst = instance([expert("E1")], [seat])
    assert filled(_solve(inst)) == {"P1": "E1"}
    assert solver.eligibility(inst, "P1", "E1") == []


def test_a_stage_not_yet_sat_excludes_unless_the_plan_is_provisional():
    nominees = [Nominee(supplier_id="E1", passed=["interview"]), Nominee(supplier_id="E2", failed=["interview"])]
    seat = position(nominated_only=True, nominees=nominees, stages=["interview", "language_test"])
    strict = instance([expert("E1"), expert("E2")], [seat])
    plan = _solve(strict)
    assert filled(plan) == {}
    assert _trail(plan) == [
        ("assessment_failed", 1, "failed the interview"),
        ("assessment_pending", 1, "have not yet passed the language test"),
    ]
    assert "stage language_test not passed" in " ".join(_violations(strict))
    provisional = instance([expert("E1"), expert("E2")], [seat], parameters=PROVISIONAL)
    assert filled(_solve(provisional)) == {"P1": "E1"}  # E1 not yet assessed on the language test; E2 failed
    assert _violations(provisional) == []
    assert any("failed stage" in v for v in _violations(provisional, "E2"))


def test_a_roster_expert_never_passes_a_stage():
    # only nominees sit stages: a seat that asks for one is out of the roster's reach unless the plan is provisional
    seat = position(stages=["interview"])
    plan = _solve(instance([expert("E1")], [seat]))
    assert _trail(plan) == [("assessment_pending", 1, "have not yet passed the interview")]
    assert filled(_solve(instance([expert("E1")], [seat], parameters=PROVISIONAL))) == {"P1": "E1"}


def test_a_seat_without_stages_ignores_stage_results():
    nominees = [Nominee(supplier_id="E1", failed=["interview"])]
    inst = instance([expert("E1")], [position(nominated_only=True, nominees=nominees)])
    assert filled(_solve(inst)) == {"P1": "E1"}


def test_alternatives_offer_only_nominees():
    seat = position(nominated_only=True, nominees=[Nominee(supplier_id="E2")])
    inst = instance([expert("E1"), expert("E2")], [seat])
    plan = solver.greedy(inst)
    assert [a.supplier_id for a in solver.alternatives(inst, plan, "P1")] == ["E2"]


STAGES = ["interview", "language_test"]
nominee_st = hs.builds(
    lambda who, results: Nominee(
        supplier_id=who,
        passed=[s for s, r in zip(STAGES, results) if r == "passed"],
        failed=[s for s, r in zip(STAGES, results) if r == "failed"],
    ),
    hs.sampled_from(["E1", "E2", "E3", "O1"]),
    hs.lists(hs.sampled_from(["passed", "failed", None]), min_size=2, max_size=2),
)
seat_st = hs.builds(
    lambda i, only, stages, nominees: position(f"P{i}", nominated_only=only, stages=stages, nominees=nominees),
    hs.integers(1, 9),
    hs.booleans(),
    hs.lists(hs.sampled_from(STAGES), unique=True, max_size=2),
    hs.lists(nominee_st, max_size=4, unique_by=lambda n: n.supplier_id),
)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(hs.lists(seat_st, min_size=1, max_size=4, unique_by=lambda p: p.id), hs.booleans())
def test_the_filter_and_the_independent_checker_agree_on_nominees_and_stages(seats, provisional):
    inst = instance(
        [expert("E1"), expert("E2"), expert("E3")],
        seats,
        offers=[offer()],
        parameters=Parameters(time_limit=5, provisional=provisional),
    )
    offers = {o.id for o in inst.offers}
    suppliers = {**{e.id: e for e in inst.experts}, **{o.id: o for o in inst.offers}}
    for seat in inst.positions:
        for sid, s in suppliers.items():
            filter_says = solver.eligibility(inst, seat.id, sid) == []
            assert filter_says == (_eligibility(inst, seat, s, sid in offers) == []), (seat, sid)
    plan = solver.solve(inst, workers=1, seed=0)
    assert solver.check(inst, plan) == [] and solver.check(inst, solver.greedy(inst)) == []
