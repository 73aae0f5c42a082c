"""Explanations: reasons for unfilled positions, competitors, alternatives and plan statistics."""

import subprocess
import sys

import pytest

import solver
from bench.generate import generate
from schemas.instance import Parameters
from schemas.plan import Plan
from tests.solver.factory import day, expert, filled, instance, position


def test_unfilled_reasons_add_up_to_the_pool():
    inst = generate("small", 2)
    plan = solver.solve(inst, workers=1)
    assert plan.unfilled
    for u in plan.unfilled:
        assert u.pool == len(inst.experts) + len(inst.offers)
        assert u.pool - sum(e.eliminated for e in u.eliminations) == u.eligible
        left = u.pool
        for e in u.eliminations:
            assert e.remaining == left - e.eliminated
            left = e.remaining
        assert f"{u.eligible:,} left" in u.reason


def test_a_position_blocked_only_by_language_says_so():
    experts = [expert(f"E{i}", languages={"en": 5, "fr": 2}) for i in range(3)]
    plan = solver.solve(instance(experts, [position()]), workers=1)
    (u,) = plan.unfilled
    assert [e.rule for e in u.eliminations] == ["language:fr>=3"]
    assert u.eliminations[0].eliminated == 3
    assert u.reason == "3 do not speak French at level ≥ 3; 0 left"


def test_rules_are_reported_in_order_with_the_remaining_pool():
    experts = [
        expert("E1", skills={}),
        expert("E2", languages={"en": 5}),
        expert("E3", languages={"en": 5}),
        expert("E4", notice_days=200),
    ]
    (u,) = solver.solve(instance(experts, [position()]), workers=1).unfilled
    assert [(e.rule, e.eliminated, e.remaining) for e in u.eliminations] == [
        ("skill:SSR-POLICY>=3", 1, 3),
        ("language:fr>=3", 2, 1),
        ("notice", 1, 0),
    ]
    assert u.reason.startswith("1 lack skill SSR-POLICY ≥ 3; of the 3 left, 2 do not speak French")


def test_competitor_names_the_position_that_took_the_candidate_and_why():
    important = position("P1", priority=1)
    minor = position("P2", priority=4, start=day(150), end=day(300))
    plan = solver.solve(instance([expert()], [important, minor]), workers=1)
    assert filled(plan) == {"P1": "E1"}
    (u,) = plan.unfilled
    assert u.eligible == 1
    assert [(c.supplier_id, c.taken_by) for c in u.competitors] == [("E1", "P1")]
    assert "priority 1" in u.competitors[0].why
    assert "used elsewhere" in u.reason


def test_alternatives_are_ranked_and_name_what_they_displace():
    busy = expert("E1", skills={"SSR-POLICY": 5})
    free = expert("E2")
    p1, p2 = position("P1", priority=1), position("P2", priority=2)
    inst = instance([busy, free], [p1, p2])
    plan = solver.solve(inst, workers=1)
    assert filled(plan) == {"P1": "E1", "P2": "E2"}
    alts = solver.alternatives(inst, plan, "P2", k=5)
    assert [a.supplier_id for a in alts] == ["E2", "E1"]
    assert alts[0].displaces == []
    assert alts[1].displaces == ["P1"]
    assert alts[0].total > alts[1].total
    assert len(solver.alternatives(inst, plan, "P2", k=1)) == 1


def test_every_assignment_carries_its_score_by_term():
    inst = instance([expert(skills={"SSR-POLICY": 5})], [position()], parameters=Parameters(time_limit=5))
    (a,) = solver.solve(inst, workers=1).assignments
    assert set(a.score) == {"priority", "fit", "spc", "stability"}
    assert a.score["fit"] >= 4


def test_plan_reports_status_bound_gap_time_and_size():
    inst = generate("small", 1)
    plan = solver.solve(inst, workers=1)
    assert plan.status == "optimal"
    assert plan.best_bound == plan.objectives.priority
    assert plan.gap == 0
    assert plan.wall_time > 0
    # seats alone in their component are chosen outright: the CP-SAT models hold the rest
    assert plan.model.candidates > 0 and 0 < plan.model.variables < plan.model.candidates
    assert plan.model.constraints > 0 and plan.model.parts > 1


def test_progress_reports_phases():
    events = []
    solver.solve(generate("small", 1), workers=1, progress=events.append)
    phases = [e["phase"] for e in events]
    assert phases[0] == "greedy"
    assert "priority" in phases
    assert phases[-1] == "done"
    assert all({"objective", "bound", "gap", "elapsed"} <= set(e) for e in events)


def test_cli_solves_and_prints_schemas(tmp_path):
    path = tmp_path / "instance.json"
    path.write_text(instance([expert()], [position()]).model_dump_json())
    out = subprocess.run(
        [sys.executable, "-m", "solver", str(path), "--workers", "1", "--time-limit", "5"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert filled(Plan.model_validate_json(out)) == {"P1": "E1"}
    schema = subprocess.run(
        [sys.executable, "-m", "solver", "--schema"], capture_output=True, text=True, check=True
    ).stdout
    assert '"instance"' in schema and '"plan"' in schema


def test_alternatives_for_an_unknown_position_raise():
    inst = instance([expert()], [position()])
    with pytest.raises(KeyError):
        solver.alternatives(inst, solver.greedy(inst), "P404")


def test_a_tiny_time_limit_still_returns_a_valid_plan():
    inst = generate("tight", 2)
    plan = solver.solve(inst, time_limit=0.01, workers=1)
    assert plan.status in ("optimal", "time_limit")
    assert plan.assignments
    assert solver.check(inst, plan) == []


def test_an_offer_with_free_slots_is_not_named_as_taken():
    from tests.solver.factory import offer

    ps = [position("P1", priority=1), position("P2", priority=4), position("P3", priority=4, category="military")]
    full = solver.solve(instance([], ps[:2], offers=[offer(slots=1)]), workers=1)
    assert [(c.supplier_id, c.taken_by) for c in full.unfilled[0].competitors] == [("O1", "P1")]
    roomy = solver.solve(instance([], ps, offers=[offer(slots=3)]), workers=1)
    assert [u.position_id for u in roomy.unfilled] == ["P3"]
    assert roomy.unfilled[0].competitors == []


def test_a_failing_progress_listener_does_not_stop_the_solve():
    def broken(event):
        raise RuntimeError("listener bug")

    plan = solver.solve(generate("small", 1), workers=1, progress=broken)
    assert plan.status == "optimal" and plan.assignments
