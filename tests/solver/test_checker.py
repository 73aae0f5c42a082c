"""The independent checker catches broken plans, and every solver plan passes it."""

from hypothesis import HealthCheck, given, settings, target
from hypothesis import strategies as hs

import solver
from schemas.instance import DateRange, Deployment, ForbiddenPair, Parameters, Pin, PreviousAssignment
from schemas.plan import Assignment, Plan
from tests.solver.factory import day, expert, instance, offer, position


def _plan(*pairs, slots=None):
    slots = slots or [1] * len(pairs)
    return Plan(
        status="feasible",
        assignments=[Assignment(position_id=p, supplier_id=s, slot=n) for (p, s), n in zip(pairs, slots)],
    )


def test_checker_accepts_a_valid_plan():
    assert solver.check(instance([expert()], [position()]), _plan(("P1", "E1"))) == []


def test_checker_catches_an_ineligible_supplier():
    inst = instance([expert(languages={"en": 5})], [position()])
    assert any("language fr" in v for v in solver.check(inst, _plan(("P1", "E1"))))


def test_checker_catches_double_booking_and_double_filling():
    inst = instance([expert("E1"), expert("E2")], [position("P1"), position("P2")])
    assert any("overlaps" in v for v in solver.check(inst, _plan(("P1", "E1"), ("P2", "E1"))))
    assert any("filled twice" in v for v in solver.check(inst, _plan(("P1", "E1"), ("P1", "E2"))))


def test_checker_catches_offer_slot_misuse():
    inst = instance([], [position("P1"), position("P2"), position("P3")], offers=[offer(slots=2)])
    assert any("overlaps" in v for v in solver.check(inst, _plan(("P1", "O1"), ("P2", "O1"), slots=[1, 1])))
    assert any("does not exist" in v for v in solver.check(inst, _plan(("P1", "O1"), slots=[3])))
    three = _plan(("P1", "O1"), ("P2", "O1"), ("P3", "O1"), slots=[1, 2, 2])
    assert any("capacity" in v for v in solver.check(inst, three))


def test_checker_catches_groups_pins_forbidden_and_deployments():
    ps = [position("P1", group="G", all_or_nothing=True), position("P2", group="G", all_or_nothing=True)]
    inst = instance(
        [expert("E1"), expert("E2")],
        ps,
        pins=[Pin(position_id="P2", supplier_id="E2")],
        forbidden=[ForbiddenPair(position_id="P1", supplier_id="E1")],
        deployments=[Deployment(supplier_id="E1", start=day(0), end=day(120))],
    )
    found = " ".join(solver.check(inst, _plan(("P1", "E1"))))
    for what in ("all-or-nothing", "pin P2/E2", "rejected", "overlaps"):
        assert what in found


experts_st = hs.builds(
    lambda i, skill, lang, nat, cat, grade, avail, notice: expert(
        f"E{i}",
        skills={"SSR-POLICY": skill},
        languages={"fr": lang},
        nationality=nat,
        category=cat,
        grade=grade,
        availability=[DateRange(start=day(avail), end=day(avail + 400))],
        notice_days=notice,
    ),
    hs.integers(0, 99),
    hs.integers(2, 5),
    hs.integers(2, 5),
    hs.sampled_from(["FRA", "FRA", "CAF"]),
    hs.sampled_from(["police", "police", "military"]),
    hs.integers(2, 5),
    hs.integers(0, 150),
    hs.integers(0, 90),
)

positions_st = hs.builds(
    lambda i, start, length, prio, group, aon, same: position(
        f"P{i}",
        start=day(start),
        end=day(start + length),
        priority=prio,
        group=group,
        all_or_nothing=aon,
        same_offer=same and group is not None,
        required_skills={"SSR-POLICY": 3},
    ),
    hs.integers(0, 99),
    hs.integers(60, 300),
    hs.integers(10, 200),
    hs.integers(1, 5),
    hs.sampled_from([None, None, "G1", "G2"]),
    hs.booleans(),
    hs.booleans(),
)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    hs.lists(experts_st, max_size=5, unique_by=lambda e: e.id),
    hs.lists(positions_st, min_size=1, max_size=6, unique_by=lambda p: p.id),
    hs.integers(0, 3),
    hs.integers(0, 30),
)
def test_every_solver_plan_passes_the_checker(experts, positions, slots, rest):
    offers = [offer("O1", slots=slots)] if slots else []
    inst = instance(experts, positions, offers=offers, parameters=Parameters(rest_days=rest, time_limit=5))
    plan = solver.solve(inst, workers=1, seed=0)
    assert plan.status != "infeasible"
    assert solver.check(inst, plan) == []
    assert solver.check(inst, solver.greedy(inst)) == []
    target(float(len(plan.assignments)))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    hs.lists(experts_st, min_size=1, max_size=5, unique_by=lambda e: e.id),
    hs.lists(positions_st, min_size=1, max_size=6, unique_by=lambda p: p.id),
    hs.integers(0, 2),
    hs.integers(-60, 200),
)
def test_a_resolve_with_pins_forbidden_pairs_and_deployments_passes_the_checker(experts, positions, slots, dep):
    offers = [offer("O1", slots=slots)] if slots else []
    deployments = [Deployment(supplier_id=experts[0].id, start=day(dep), end=day(dep + 60))]
    inst = instance(experts, positions, offers=offers, deployments=deployments)
    first = solver.solve(inst, workers=1, seed=0)
    if first.assignments:
        keep, drop = first.assignments[0], first.assignments[-1]
        inst.pins = [Pin(position_id=keep.position_id, supplier_id=keep.supplier_id)]
        grouped = {p.id for p in positions if p.group}
        if drop != keep and drop.position_id not in grouped:
            inst.forbidden = [ForbiddenPair(position_id=drop.position_id, supplier_id=drop.supplier_id)]
    inst.previous = [
        PreviousAssignment(position_id=a.position_id, supplier_id=a.supplier_id) for a in first.assignments
    ]
    again = solver.solve(inst, workers=1, seed=0)
    assert again.status == "optimal"
    assert solver.check(inst, again) == []
    target(float(len(again.assignments)))


def test_candidate_filter_agrees_with_the_checker_on_every_pair():
    from bench.generate import generate
    from solver.candidates import generate as candidates
    from solver.checker import _eligibility

    for name, seed in (("small", 4), ("tight", 6)):
        inst = generate(name, seed)
        inst.deployments = []
        sup, filtered = candidates(inst)
        suppliers = {**{e.id: e for e in inst.experts}, **{o.id: o for o in inst.offers}}
        offers = {o.id for o in inst.offers}
        teams = {p.group for p in inst.positions if p.group and p.same_offer}
        for f in filtered:
            mine = {sup.ids[s] for s in f.candidates}
            pos = f.position
            theirs = {
                sid
                for sid, s in suppliers.items()
                if not _eligibility(inst, pos, s, sid in offers) and (sid in offers or pos.group not in teams)
            }
            assert mine == theirs, pos.id


def test_a_pin_that_breaks_a_rule_is_kept_and_the_plan_says_which_rules():
    """A pin overrides the rules (the expert's data may have changed since it was pinned): kept, but said."""
    inst = instance(
        [expert("E1", languages={"en": 5}), expert("E2")],
        [position("P1"), position("P2", start=day(400), end=day(500))],
        pins=[Pin(position_id="P1", supplier_id="E1"), Pin(position_id="P2", supplier_id="E2")],
    )
    plan = solver.solve(inst, time_limit=5, workers=1)
    assert {(a.position_id, a.supplier_id) for a in plan.assignments} == {("P1", "E1"), ("P2", "E2")}
    assert [m for m in plan.messages if m.startswith("pin ")] == ["pin P1/E1 kept although it breaks: language fr"]
    assert solver.check(inst, plan) == []  # pinned pairs are not violations
