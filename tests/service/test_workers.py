"""Plans as jobs: leases, take-over after a crash, and only checked plans are ever stored."""

import os
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import func
from sqlmodel import Session, select

from schemas.enums import PlanStatus
from schemas.plan import Assignment, SolveStatus
from schemas.plan import Plan as SolverPlan
from service.planning import jobs
from service.platform.tables import Plan, PlanAssignment, utcnow
from service.seeding import seed_demo

TODAY = "2027-01-04"


def _queue(engine, **parameters) -> int:
    with Session(engine) as session:
        plan = Plan(status=PlanStatus.queued, created_by="test", parameters={"today": TODAY, **parameters})
        session.add(plan)
        session.commit()
        return plan.id


def _plan(engine, plan_id: int) -> Plan:
    with Session(engine) as session:
        return session.get(Plan, plan_id)


def _assignments(engine, plan_id: int) -> int:
    with Session(engine) as session:
        return session.exec(
            select(func.count()).select_from(PlanAssignment).where(PlanAssignment.plan_id == plan_id)
        ).one()


class TestLeases:
    def test_a_claimed_plan_is_not_claimed_twice(self, engine):
        plan_id = _queue(engine)
        assert jobs.claim(engine, "a", lease_seconds=60) == plan_id
        assert jobs.claim(engine, "b", lease_seconds=60) is None
        plan = _plan(engine, plan_id)
        assert plan.status == PlanStatus.running and plan.lease_owner == "a" and plan.attempts == 1

    def test_an_expired_lease_is_taken_over_then_failed(self, engine):
        plan_id = _queue(engine)
        jobs.claim(engine, "a", lease_seconds=5)
        later = utcnow() + timedelta(seconds=10)
        assert jobs.claim(engine, "b", lease_seconds=5, now=later) == plan_id
        assert _plan(engine, plan_id).lease_owner == "b" and _plan(engine, plan_id).attempts == 2
        assert jobs.claim(engine, "c", lease_seconds=5, now=later + timedelta(seconds=10)) is None
        plan = _plan(engine, plan_id)
        assert plan.status == PlanStatus.failed and "stopped 2 times" in plan.error

    def test_a_worker_that_lost_its_lease_stores_nothing(self, engine):
        plan_id = _queue(engine)
        jobs.claim(engine, "a", lease_seconds=5)
        instance, seats, _ = jobs.build(engine, plan_id)
        jobs.claim(engine, "b", lease_seconds=5, now=utcnow() + timedelta(seconds=10))
        assert jobs.store(engine, plan_id, "a", instance, seats, SolverPlan(status=SolveStatus.optimal)) is False
        assert _plan(engine, plan_id).status == PlanStatus.running and _assignments(engine, plan_id) == 0


def test_a_running_plan_stops_at_its_next_heartbeat_when_cancelled(engine):
    plan_id = _queue(engine)
    jobs.claim(engine, "a", lease_seconds=60)
    with Session(engine) as session:
        jobs.request_cancel(session, session.get(Plan, plan_id))
        session.commit()
    assert _plan(engine, plan_id).status == PlanStatus.running
    jobs.execute(engine, plan_id, "a", lease_seconds=60)
    plan = _plan(engine, plan_id)
    assert plan.status == PlanStatus.cancelled and plan.finished_at is not None and plan.lease_owner is None
    assert _assignments(engine, plan_id) == 0


def test_a_plan_cancelled_while_its_solve_ran_is_not_stored(engine, monkeypatch):
    """A solve that ends before the next heartbeat: the cancellation is seen when its result would be stored."""
    with Session(engine) as session:
        seed_demo(session, experts=40, offers=4, requests=4)
    plan_id = _queue(engine, workers=1)

    def solved_then_cancelled(*args):
        with Session(engine) as session:
            jobs.request_cancel(session, session.get(Plan, plan_id))
            session.commit()
        return SolverPlan(status=SolveStatus.optimal)

    monkeypatch.setattr(jobs, "run_solver", solved_then_cancelled)
    assert jobs.work_once(engine, "w") == plan_id
    plan = _plan(engine, plan_id)
    assert plan.status == PlanStatus.cancelled and plan.result is None and _assignments(engine, plan_id) == 0


def test_a_plan_that_breaks_a_rule_is_never_stored(engine, monkeypatch):
    with Session(engine) as session:
        seed_demo(session, experts=40, offers=4, requests=4)
    plan_id = _queue(engine, workers=1)
    instance, _, _ = jobs.build(engine, plan_id)
    seat = instance.positions[0].id
    bad = SolverPlan(
        status=SolveStatus.optimal,
        assignments=[Assignment(position_id=seat, supplier_id=e.id) for e in instance.experts[:2]],
    )  # two people, one seat
    monkeypatch.setattr(jobs, "run_solver", lambda *args: bad)
    assert jobs.work_once(engine, "w") == plan_id
    plan = _plan(engine, plan_id)
    assert plan.status == PlanStatus.failed and "broke hard rules" in plan.error
    assert _assignments(engine, plan_id) == 0


def test_stored_plans_pass_the_independent_checker(engine):
    import solver

    with Session(engine) as session:
        seed_demo(session, experts=120, offers=10, requests=10)
    plan_id = _queue(engine, workers=1, time_limit=10)
    assert jobs.work_once(engine, "w") == plan_id
    plan = _plan(engine, plan_id)
    assert plan.status == PlanStatus.succeeded, plan.error
    from schemas.instance import Instance

    result = SolverPlan.model_validate_json(plan.result)
    assert result.assignments and solver.check(Instance.model_validate_json(plan.instance), result) == []
    assert _assignments(engine, plan_id) == len(result.assignments) == plan.summary["filled"]


def _worker(db_url: str, lease: float) -> subprocess.Popen:
    env = os.environ | {
        "ROSTER_DATABASE_URL": db_url,
        "ROSTER_WORKER_LEASE_SECONDS": str(lease),
        "ROSTER_WORKER_POLL_SECONDS": "0.2",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "service.cli", "worker"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )


def _wait_for(condition, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


@pytest.mark.skipif(
    not os.environ.get("ROSTER_TEST_DATABASE_URL"),
    reason="worker processes share plans through PostgreSQL only (SQLite runs plans in-process)",
)
def test_a_worker_killed_mid_solve_is_replaced(engine, db_url):
    with Session(engine) as session:
        seed_demo(session, experts=2500, offers=60, requests=120)
    plan_id = _queue(engine, workers=1, time_limit=20)
    partial: list[tuple[str, int]] = []
    watching = threading.Event()

    def watch() -> None:  # no partial plan is ever visible
        while not watching.is_set():
            plan = _plan(engine, plan_id)
            count = _assignments(engine, plan_id)
            if count and _plan(engine, plan_id).status != PlanStatus.succeeded:
                partial.append((plan.status, count))
            time.sleep(0.02)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    first = _worker(db_url, lease=2)
    try:
        _wait_for(lambda: (_plan(engine, plan_id).progress or {}).get("phase") == "solving", 60, "the solve to start")
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        assert _plan(engine, plan_id).status == PlanStatus.running and _assignments(engine, plan_id) == 0
        second = _worker(db_url, lease=2)
        try:
            plan = _wait_for(
                lambda: (p := _plan(engine, plan_id)).status in jobs.FINISHED and p,
                120,
                "the second worker to finish the plan",
            )
        finally:
            second.send_signal(signal.SIGTERM)
            second.wait(20)
    finally:
        watching.set()
        watcher.join()
        if first.poll() is None:
            first.kill()
    assert partial == []
    assert plan.attempts == 2
    assert plan.status == PlanStatus.succeeded, plan.error
    assert _assignments(engine, plan_id) == plan.summary["filled"] > 0


def _priority_after(own_session: bool, **popen) -> tuple[str, bool, str]:
    probe = (
        "import os; from service.planning.host import lowest_priority; "
        f"lowest_priority(own_session={own_session}); "
        "print(os.getpriority(os.PRIO_PROCESS, 0), os.getsid(0) == os.getpid()); "
        "print(open('/proc/self/autogroup').read().strip() if os.path.exists('/proc/self/autogroup') else '-')"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=30, check=True, **popen
    )
    first, autogroup = done.stdout.splitlines()
    niceness, leads = first.split()
    return niceness, leads == "True", autogroup


def test_the_solver_runs_at_the_lowest_priority_in_a_session_of_its_own():
    niceness, leads, autogroup = _priority_after(own_session=True)
    assert (niceness, leads) == ("19", True)
    assert autogroup == "-" or autogroup.endswith("nice 19")  # where Linux shares the CPU by session first


def test_a_worker_lowers_its_session_only_when_it_leads_it():
    ours = open("/proc/self/autogroup").read().strip() if os.path.exists("/proc/self/autogroup") else "-"
    assert _priority_after(own_session=False) == ("19", False, ours)  # from a shell: the shell's session untouched
    niceness, leads, autogroup = _priority_after(own_session=False, start_new_session=True)  # under a supervisor
    assert (niceness, leads) == ("19", True) and (autogroup == "-" or autogroup.endswith("nice 19"))
