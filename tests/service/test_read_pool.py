"""Reads on the event loop, on PostgreSQL: connections replaced when they die, a bounded wait for one."""

import asyncio
import os
import select
import uuid

import psycopg
import pytest
from sqlalchemy import text
from sqlmodel import Session

from service.platform.readpool import APPLICATION_NAME, ReadPool, read_pool
from tests.service import factories

pytestmark = pytest.mark.skipif(
    not os.environ.get("ROSTER_TEST_DATABASE_URL"),
    reason="the read pool serves PostgreSQL only; on SQLite reads run on a thread",
)


def test_connections_killed_while_idle_are_replaced_without_an_error(app, client, auth):
    expert_id = client.post("/experts", json=factories.expert(), headers=auth("hq")).json()["id"]
    planner = auth("planner")
    assert client.get(f"/experts/{expert_id}", headers=planner).status_code == 200
    with Session(app.state.engine) as session:  # as a restart of the database would
        killed = session.exec(
            text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE application_name = :name AND datname = current_database()"
            ),
            params={"name": APPLICATION_NAME},
        ).one()[0]
    assert killed >= 1
    assert client.get(f"/experts/{expert_id}", headers=planner).status_code == 200
    assert client.get("/experts", headers=planner).json()["count"] >= 1


@pytest.mark.parametrize(
    "error, status, body",
    [
        (
            psycopg.OperationalError("connection refused"),
            503,
            {"error": "service_unavailable", "detail": "the database is unreachable; try again shortly"},
        ),
        (
            psycopg.DataError("integer out of range"),
            422,
            {
                "error": "validation_error",
                "detail": [
                    {
                        "field": "body",
                        "message": "a value cannot be stored (out of range or containing a NUL character): fix it",
                    }
                ],
            },
        ),
    ],
)
def test_database_errors_on_the_event_loop_answer_as_on_a_thread(client, auth, monkeypatch, error, status, body):
    async def failing(*_args):
        raise error

    monkeypatch.setattr(ReadPool, "rows", failing)
    for url in ("/experts/1", "/experts?skill=DDR-DESIGN"):
        answer = client.get(url, headers=auth("planner"))
        assert answer.status_code == status and answer.json() == body


def _pool(engine, size: int, timeout: float) -> ReadPool:
    pool = read_pool(engine.url, size=size, timeout=timeout)
    assert pool is not None
    return pool


def test_a_read_waits_a_bounded_time_for_a_free_connection(engine):
    async def scenario() -> None:
        pool = _pool(engine, size=1, timeout=0.2)
        held = await pool._take()
        with pytest.raises(psycopg.OperationalError, match=r"no database connection came free within 0\.2 s"):
            await pool.rows("SELECT 1", {})
        pool._give(held)
        assert await pool.rows("SELECT 1", {}) == [(1,)]
        await pool.close()

    asyncio.run(scenario())


def test_a_read_cancelled_midway_frees_its_connection(engine):
    async def scenario() -> None:
        pool = _pool(engine, size=1, timeout=1)
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(pool.rows("SELECT pg_sleep(30)", {}), 0.3)
        assert await pool.rows("SELECT 2", {}) == [(2,)]  # the only slot came back, with a new connection
        with pytest.raises(psycopg.errors.DivisionByZero):
            await pool.rows("SELECT 1 / 0", {})
        assert await pool.rows("SELECT 3", {}) == [(3,)]  # a failed statement keeps its connection usable
        await pool.close()

    asyncio.run(scenario())


def test_a_read_that_waited_is_served_before_one_that_just_arrived(engine):
    async def scenario() -> None:
        pool = _pool(engine, size=1, timeout=5)
        held = await pool._take()
        served = []

        async def read(name: str) -> None:
            await pool.rows("SELECT 1", {})
            served.append(name)

        waiting = asyncio.create_task(read("waited"))
        for _ in range(5):  # let it run until it waits for the only connection
            await asyncio.sleep(0)
        arrived = asyncio.create_task(read("arrived"))  # ready to run before the waiter is woken
        pool._give(held)
        await asyncio.gather(waiting, arrived)
        assert served == ["waited", "arrived"]
        await pool.close()

    asyncio.run(scenario())


@pytest.fixture
def scratch(engine):
    """A table of its own for a test's writes, dropped afterwards."""
    name = f"pool_writes_{uuid.uuid4().hex[:8]}"
    with engine.begin() as connection:
        connection.execute(text(f"CREATE TABLE {name} (n integer)"))
    yield name
    with engine.begin() as connection:
        connection.execute(text(f"DROP TABLE {name}"))


def _terminate(engine, pid: int) -> None:
    with engine.begin() as connection:
        assert connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar_one()


def _written(engine, table: str) -> int:
    with engine.connect() as connection:
        return connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()


def test_a_write_on_a_connection_closed_while_idle_is_sent_once_on_a_new_one(engine, scratch):
    async def scenario() -> None:
        pool = _pool(engine, size=1, timeout=5)
        [(pid,)] = await pool.rows("SELECT pg_backend_pid()", {})
        _terminate(engine, pid)  # as a restart of the database would
        select.select([pool._idle[-1].connection.fileno()], [], [], 5)  # until the server's goodbye arrives
        written = await pool.rows(f"INSERT INTO {scratch} VALUES (1) RETURNING pg_backend_pid()", {}, changes=True)
        assert written != [(pid,)]
        await pool.close()

    asyncio.run(scenario())
    assert _written(engine, scratch) == 1


def test_a_write_whose_connection_fails_midway_fails_and_is_not_sent_again(engine, scratch):
    """Its outcome is unknown (it may have committed): the caller hears so (503) rather than a second write."""

    async def scenario() -> None:
        pool = _pool(engine, size=1, timeout=5)
        [(pid,)] = await pool.rows("SELECT pg_backend_pid()", {})
        write = asyncio.create_task(pool.rows(f"INSERT INTO {scratch} SELECT 1 FROM pg_sleep(3)", {}, changes=True))
        async with await psycopg.AsyncConnection.connect(pool._conninfo, autocommit=True) as watcher:
            while not (
                await (
                    await watcher.execute("SELECT state = 'active' FROM pg_stat_activity WHERE pid = %s", [pid])
                ).fetchone()
            )[0]:
                await asyncio.sleep(0.01)  # polled until the write runs
        _terminate(engine, pid)
        with pytest.raises(psycopg.OperationalError):
            await write
        await pool.close()

    asyncio.run(scenario())
    assert _written(engine, scratch) == 0  # sent again, it would have written a row 3 s later
