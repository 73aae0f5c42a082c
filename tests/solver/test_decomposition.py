"""Decomposition and the incremental re-solve give the monolithic model's optimum on every objective level."""

import random

import numpy as np
import pytest

import solver
from bench.generate import generate
from schemas.instance import ForbiddenPair, Parameters, Pin, PreviousAssignment
from solver.components import binding_states, components
from solver.cpsat import solve_structure
from solver.greedy import greedy_pairs
from solver.score import objectives
from solver.structure import build_structure
from tests.solver.factory import day, expert, instance, position


def monolithic(inst):
    """The whole structure as one staged CP-SAT model, as before decomposition."""
    st = build_structure(inst)
    out = solve_structure(st, time_limit=60, workers=2, seed=0, hint=greedy_pairs(st))
    assert out.status == "optimal"
    return objectives(st, out.chosen)


def _levels(o):
    return (o.priority, o.fit, o.fairness, o.spc, o.stability)


def _coupled(size: str, seed: int, share: float):
    """A bench instance whose Member States' fair share is small enough that over-share terms bite."""
    inst = generate(size, seed)
    inst.parameters = Parameters(gender_targets=inst.parameters.gender_targets, max_state_share=share)
    return inst


CASES = [("small", s, None) for s in range(5)] + [("tight", 0, None), ("tight", 1, 0.02)]
CASES += [("small", 1, 0.05), ("small", 2, 0.03), ("small", 5, 0.05)]  # over-share terms join components


@pytest.mark.parametrize(("size", "seed", "share"), CASES)
def test_decomposed_equals_monolithic_on_every_level(size, seed, share):
    inst = generate(size, seed) if share is None else _coupled(size, seed, share)
    plan = solver.solve(inst, time_limit=60)
    assert plan.status == "optimal"
    assert _levels(plan.objectives) == _levels(monolithic(inst))
    assert solver.check(inst, plan) == []


def test_realistic_decomposed_equals_monolithic():
    inst = generate("realistic", 0)
    plan = solver.solve(inst, time_limit=60)
    assert _levels(plan.objectives) == _levels(monolithic(inst))
    assert plan.model.parts > 1


def test_a_state_over_its_share_ties_seats_that_share_no_person():
    """Two seats a year apart, each open to a French and a Senegalese expert of equal fit: apart, each seat would take
    the first (French) candidate; together the plan keeps France within its share of one seat in two."""
    people = [expert("E1", member_state="FRA", nationality="FRA"), expert("E2", member_state="SEN", nationality="SEN")]
    seats = [position("P1", start=day(100), end=day(200)), position("P2", start=day(500), end=day(600))]
    inst = instance(people, seats, parameters=Parameters(max_state_share=0.5))
    assert len(components(build_structure(inst))) == 1
    plan = solver.solve(inst)
    assert plan.objectives.fairness == 0 and len(plan.assignments) == 2
    assert _levels(plan.objectives) == _levels(monolithic(inst))


def test_a_gender_target_ties_the_seats_of_its_request():
    """A request for half women, two seats a year apart: one woman is enough, and the standing-capacity man scores
    higher on the SPC level, so the plan takes him for the other seat (apart, each seat would want a woman)."""
    man = expert("E1", gender="male", source="standing_capacity", member_state=None, notice_days=7)
    woman = expert("E2", gender="female")
    seats = [
        position("P1", start=day(100), end=day(200), benchmark="short_term"),
        position("P2", start=day(500), end=day(600), benchmark="short_term"),
    ]
    inst = instance([man, woman], seats, parameters=Parameters(gender_targets={"R1": 0.5}, max_state_share=1.0))
    plan = solver.solve(inst)
    assert sorted(a.supplier_id for a in plan.assignments) == ["E1", "E2"]
    assert _levels(plan.objectives) == _levels(monolithic(inst))


def test_no_rule_or_group_spans_two_components():
    st = build_structure(generate("tight", 0))
    where = {i: n for n, c in enumerate(components(st)) for i in c.positions}
    for pairs, _ in st.cliques:
        assert len({where[int(st.pair_pos[k])] for k in pairs}) == 1
    for members in [*st.all_or_nothing.values(), *st.same_offer.values()]:
        assert len({where[i] for i in members if i in where}) <= 1


def test_a_state_binds_only_when_its_people_could_exceed_the_quota():
    loose = build_structure(generate("small", 1))
    assert binding_states(loose) == []
    tight = build_structure(_coupled("small", 1, 0.05))
    assert binding_states(tight)
    joined = components(tight)
    assert len(joined) < len(components(loose))


def _decided(inst, plan, change: str, rng: random.Random):
    """A copy of the instance after one planner's decision on the plan: a rejection or a pin."""
    nxt = inst.model_copy(deep=True)
    nxt.previous = [PreviousAssignment(position_id=a.position_id, supplier_id=a.supplier_id) for a in plan.assignments]
    a = rng.choice(plan.assignments)
    if change == "reject":
        nxt.forbidden.append(ForbiddenPair(position_id=a.position_id, supplier_id=a.supplier_id))
    else:
        other = [o for o in solver.alternatives(inst, plan, a.position_id, 20) if o.supplier_id != a.supplier_id]
        nxt.pins.append(Pin(position_id=a.position_id, supplier_id=other[0].supplier_id if other else a.supplier_id))
    return nxt


@pytest.mark.parametrize("change", ["reject", "pin"])
@pytest.mark.parametrize(("size", "seed"), [("small", 1), ("small", 3), ("tight", 0)])
def test_incremental_resolve_equals_a_cold_one(size, seed, change):
    inst = generate(size, seed)
    plan, kept = solver.solve_kept(inst, time_limit=60)
    nxt = _decided(inst, plan, change, random.Random(seed))
    again, _ = solver.solve_kept(nxt, before=kept, time_limit=60)
    cold = solver.solve(nxt, time_limit=60)
    assert again.status == cold.status == "optimal"
    assert _levels(again.objectives) == _levels(cold.objectives)
    assert solver.check(nxt, again) == []


def test_untouched_components_are_kept_without_solving():
    inst = generate("small", 1)
    plan, kept = solver.solve_kept(inst, time_limit=60)
    nxt = _decided(inst, plan, "reject", random.Random(1))
    again, _ = solver.solve_kept(nxt, before=kept, time_limit=60)
    assert again.model.parts_kept >= again.model.parts - 2
    untouched = {a.position_id: a.supplier_id for a in plan.assignments}
    changed = [a for a in again.assignments if untouched.get(a.position_id, a.supplier_id) != a.supplier_id]
    assert len(changed) <= 3


def test_a_re_solve_without_a_change_solves_nothing():
    inst = generate("tight", 0)
    plan, kept = solver.solve_kept(inst, time_limit=60)
    same = inst.model_copy(deep=True)
    same.previous = [PreviousAssignment(position_id=a.position_id, supplier_id=a.supplier_id) for a in plan.assignments]
    again, _ = solver.solve_kept(same, before=kept, time_limit=60)
    assert again.model.parts_kept == again.model.parts and again.model.variables == 0
    assert _levels(again.objectives)[:4] == _levels(plan.objectives)[:4] and again.objectives.stability == 0


def test_kept_alternatives_equal_rebuilt_ones():
    inst = generate("tight", 0)
    plan, kept = solver.solve_kept(inst, time_limit=60)
    for seat in [a.position_id for a in plan.assignments[:5]] + [u.position_id for u in plan.unfilled[:5]]:
        assert solver.alternatives(inst, plan, seat, 5, kept=kept) == solver.alternatives(inst, plan, seat, 5)


def test_a_kept_part_is_not_reused_when_its_people_change():
    inst = generate("small", 2)
    _, kept = solver.solve_kept(inst, time_limit=60)
    nxt = inst.model_copy(deep=True)
    for e in nxt.experts:
        e.skills = {code: min(5, level + 1) for code, level in e.skills.items()}
    again, _ = solver.solve_kept(nxt, before=kept, time_limit=60)
    cold = solver.solve(nxt, time_limit=60)
    assert _levels(again.objectives) == _levels(cold.objectives)
    assert np.all([a.score == b.score for a, b in zip(again.assignments, cold.assignments)])
