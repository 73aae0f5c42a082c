"""A queued plan wakes the worker at once: NOTIFY on PostgreSQL, an in-process wake-up on commit (both engines)."""

import threading
import time

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlmodel import Session

from schemas.enums import Role
from service.app import create_app
from service.platform import wakeup
from service.platform.auth import issue_token
from service.platform.db import make_engine
from service.platform.settings import Settings

LONG_POLL = 30.0  # far longer than the deadlines below: only a wake-up can meet them
PICKED_WITHIN = 1.0


def _until(check, seconds: float):
    """``check()``'s first truthy answer, or None after ``seconds`` (asked every 20 ms)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if found := check():
            return found
        time.sleep(0.02)
    return None


@pytest.fixture
def worker_app(db_url):
    settings = Settings(database_url=db_url, environment="test", worker="inprocess", worker_poll_seconds=LONG_POLL)
    app = create_app(settings)
    with Session(app.state.engine) as session:
        _, secret = issue_token(session, role=Role.planner, name="wake-up test")
        session.commit()
    with TestClient(app) as client:
        yield client, {"Authorization": f"Bearer {secret}"}
    app.state.engine.dispose()
    app.state.read_engine.dispose()


def _picked(client: TestClient, headers: dict, plan_id: int) -> str | None:
    status = client.get(f"/plans/{plan_id}", headers=headers).json()["status"]
    return None if status == "queued" else status


def test_a_new_plan_is_picked_within_a_second_despite_a_long_poll(worker_app):
    client, headers = worker_app
    assert _until(lambda: wakeup.waiting(), 20), "the worker never went idle"  # its first round is over
    for _ in range(2):  # and again once it has run one
        started = time.monotonic()
        plan = client.post("/plans", headers=headers, json={"today": "2027-01-04", "time_limit": 1})
        assert plan.status_code == 202, plan.text
        plan_id = plan.json()["id"]
        status = _until(lambda: _picked(client, headers, plan_id), PICKED_WITHIN)  # noqa: B023 (used at once)
        assert status in ("running", "succeeded"), f"still queued after {time.monotonic() - started:.2f} s"
        assert _until(lambda: _picked(client, headers, plan_id) == "succeeded", 60)  # noqa: B023
        assert _until(lambda: wakeup.waiting(), 20)


def test_a_wake_up_during_a_round_is_not_lost():
    stop = threading.Event()
    seen = wakeup.generation()
    wakeup.wake()  # came while the worker was busy, before it waits
    started = time.monotonic()
    assert wakeup.wait(seen, LONG_POLL, stop)
    assert time.monotonic() - started < 0.1


def test_a_stopped_worker_stops_waiting():
    stop = threading.Event()
    threading.Timer(0.1, stop.set).start()
    started = time.monotonic()
    assert not wakeup.wait(wakeup.generation(), LONG_POLL, stop)
    assert time.monotonic() - started < 2 * wakeup.STOP_CHECK_SECONDS


def test_a_rolled_back_plan_wakes_nobody(engine):
    seen = wakeup.generation()
    with Session(engine) as session:
        wakeup.announce(session)
        session.rollback()
    assert wakeup.generation() == seen


def test_notify_from_another_connection_wakes_a_listening_worker(engine):
    if engine.dialect.name != "postgresql":
        pytest.skip("LISTEN/NOTIFY is PostgreSQL's")
    stop = threading.Event()
    listening = make_engine(engine.url.render_as_string(hide_password=False))
    try:
        seen = wakeup.generation()
        wakeup.listen(listening, stop)
        assert wakeup.wait(seen, 10, stop), "the listener did not start"
        seen = wakeup.generation()
        with engine.connect() as other:  # as a plan queued by another process: no in-process wake-up here
            other.execute(text("SELECT pg_notify(:channel, '')"), {"channel": wakeup.CHANNEL})
            other.commit()
        started = time.monotonic()
        assert wakeup.wait(seen, LONG_POLL, stop)
        assert time.monotonic() - started < PICKED_WITHIN
    finally:
        stop.set()
        listening.dispose()
