"""The worker's solver host: started once, it keeps a plan's state so that a re-solve takes over untouched parts."""

from sqlmodel import Session

import solver
from schemas.instance import Instance
from schemas.plan import Plan as SolverPlan
from service.planning import jobs
from service.planning.host import host
from service.platform.tables import Plan
from service.seeding import seed_demo

TODAY = "2027-01-04"


def _run(client, engine, headers, path, body) -> dict:
    queued = client.post(path, json=body, headers=headers)
    assert queued.status_code == 202, queued.text
    assert jobs.work_once(engine, "test-worker") == queued.json()["id"]
    plan = client.get(f"/plans/{queued.json()['id']}", headers=headers).json()
    assert plan["status"] == "succeeded", plan["error"]
    return plan


def test_a_re_solve_after_one_rejection_keeps_the_untouched_parts(client, auth, engine):
    with Session(engine) as session:
        seed_demo(session, experts=300, offers=20, requests=30)
    planner = auth("planner")
    first = _run(client, engine, planner, "/plans", {"workers": 1, "today": TODAY})
    started = host().process.pid
    proposals = client.get(f"/plans/{first['id']}/assignments", headers=planner).json()["data"]
    rejected = client.post(f"/plans/{first['id']}/assignments/{proposals[0]['id']}/reject", headers=planner)
    assert rejected.status_code == 200, rejected.text

    second = _run(client, engine, planner, f"/plans/{first['id']}/resolve", {"workers": 1, "today": TODAY})
    model = second["summary"]["model"]
    assert model["parts"] > 1 and 0 < model["parts_kept"] < model["parts"]
    assert host().process.pid == started  # OR-Tools imported once for both plans

    with Session(engine) as session:
        stored = session.get(Plan, second["id"])
        instance, result = Instance.model_validate_json(stored.instance), SolverPlan.model_validate_json(stored.result)
    cold = solver.solve(instance, workers=1)
    assert result.objectives == cold.objectives


def test_a_stopped_plan_ends_the_host_and_the_next_plan_starts_another(client, auth, engine):
    with Session(engine) as session:
        seed_demo(session, experts=60, offers=6, requests=6)
    planner = auth("planner")
    _run(client, engine, planner, "/plans", {"workers": 1, "today": TODAY})
    before = host().process.pid
    host().stop()
    assert host().process is None
    _run(client, engine, planner, "/plans", {"workers": 1, "today": TODAY})
    assert host().process.pid != before


def test_alternatives_rebuild_a_plan_once_per_process(client, auth, engine, monkeypatch):
    with Session(engine) as session:
        seed_demo(session, experts=120, offers=10, requests=10)
    planner = auth("planner")
    plan = _run(client, engine, planner, "/plans", {"workers": 1, "today": TODAY})
    builds = []
    monkeypatch.setattr(solver, "keep", lambda *args: builds.append(1) or solver.kept.rebuild(*args))
    proposals = client.get(f"/plans/{plan['id']}/assignments", headers=planner).json()["data"]
    answers = []
    for proposal in proposals[:3] * 2:
        got = client.get(f"/plans/{plan['id']}/positions/{proposal['position_id']}/alternatives", headers=planner)
        assert got.status_code == 200, got.text
        answers.append(got.json())
    assert len(builds) == 1
    assert answers[:3] == answers[3:]
