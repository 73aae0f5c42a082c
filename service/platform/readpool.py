"""Plain reads on the event loop: on PostgreSQL, a few autocommit connections driven by psycopg's
async API, so that the busiest reads take no worker thread; elsewhere, the read engine on a thread.

Measured on the bench (one ``SELECT 1`` per request, 2 processes): a thread and a pooled SQLAlchemy
connection served 0.5 x the rate of an endpoint that reads nothing, SQLAlchemy's async engine 0.6 x,
psycopg's own pool 0.75 x (it checks and resets each connection it takes back), these few
connections handed out in turn 0.9 to 1.0 x.
"""

import asyncio
import logging
import select
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import anyio
import psycopg
from sqlalchemy import URL, Engine, make_url
from sqlalchemy.dialects.postgresql.psycopg import PGDialect_psycopg
from sqlalchemy.sql import Executable

from service.platform.background import detach

logger = logging.getLogger(__name__)

_DIALECT = PGDialect_psycopg()
APPLICATION_NAME = "roster reads"  # as pg_stat_activity shows these connections


class ReadPool:
    """At most ``size`` autocommit connections, each opened when first needed.

    A connection found dead (the database restarted since its last use) is replaced and the read made
    again on a new one; any other failed connection is closed and its slot opens a new one on its
    next use. A statement that changes data is never sent twice: a connection that the server closed
    while idle is replaced before it is sent, and one that fails after fails the write, whose outcome
    is then unknown. So the pool recovers by itself when the database comes back; while it is down, each
    read fails at once (or after ``timeout`` seconds) with ``psycopg.OperationalError``: a 503.
    """

    def __init__(self, conninfo: str, *, size: int, timeout: float) -> None:
        self._conninfo, self._timeout = conninfo, timeout
        # First come, first served: a read that had to wait is never overtaken by one that just arrived
        # (with a queue of connections, newcomers kept taking each freed one, and a few reads waited
        # about a second, until the next sign-in freed several at once).
        self._slots = asyncio.Semaphore(size)
        self._idle: list[psycopg.AsyncCursor] = []  # on their connections; the most recently used last, taken first

    async def rows(self, sql: str, params: dict[str, Any], *, changes: bool = False) -> list[tuple]:
        """The rows of one statement, which commits by itself; ``changes`` for one that changes data."""
        cursor = await self._take()
        healthy = False
        try:
            while True:
                if changes and cursor is not None and _closed_while_idle(cursor.connection):
                    _close_later(cursor.connection)
                    cursor = None
                fresh = cursor is None
                if fresh:
                    connection = await psycopg.AsyncConnection.connect(
                        self._conninfo,
                        autocommit=True,
                        connect_timeout=max(1, round(self._timeout)),
                        application_name=APPLICATION_NAME,
                    )
                    # kept with its connection: a new cursor per read cost a fifth of the read's client CPU
                    cursor = connection.cursor()
                try:
                    await cursor.execute(sql, params)
                    found = await cursor.fetchall()
                except psycopg.OperationalError:
                    if fresh or changes or not cursor.connection.broken:
                        raise
                    # it died while idle, as when the database restarts: read once more on a new one
                    _close_later(cursor.connection)
                    cursor = None
                    continue
                healthy = True
                return found
        except psycopg.Error:
            healthy = cursor is not None and not (cursor.connection.broken or cursor.connection.closed)
            raise
        finally:
            if not healthy and cursor is not None:
                _close_later(cursor.connection)  # failed, or cancelled mid-read: its state is unknown
            self._give(cursor if healthy else None)

    async def _take(self) -> psycopg.AsyncCursor | None:
        """An idle connection's cursor, or None for a free slot that opens a new connection."""
        if self._slots.locked():
            try:
                async with asyncio.timeout(self._timeout):
                    await self._slots.acquire()
            except TimeoutError:
                raise psycopg.OperationalError(f"no database connection came free within {self._timeout} s") from None
        else:
            await self._slots.acquire()  # free: returns at once
        return self._idle.pop() if self._idle else None

    def _give(self, cursor: psycopg.AsyncCursor | None) -> None:
        """Free the slot, keeping the connection (with its cursor) for the next read if there is one."""
        if cursor is not None:
            self._idle.append(cursor)
        self._slots.release()

    async def close(self) -> None:
        """Close the idle connections; one still reading goes with the process (shutdown never waits on it)."""
        while self._idle:
            await self._idle.pop().connection.close()


def _closed_while_idle(connection: psycopg.AsyncConnection) -> bool:
    """Whether the server said something to an idle connection: it only does so to close it (as when
    the database restarts), or for notices we never ask for."""
    waiting = select.poll()  # not select.select: a busy process may hold descriptors past its limit of 1024
    waiting.register(connection.fileno(), select.POLLIN)
    return bool(waiting.poll(0))


def _close_later(connection: psycopg.AsyncConnection) -> None:
    async def close() -> None:
        try:
            await connection.close()
        except psycopg.Error:  # already gone with the server
            logger.debug("closing a failed read connection", exc_info=True)

    detach(close())


def read_pool(url: str | URL, *, size: int, timeout: float) -> ReadPool | None:
    """A pool on the PostgreSQL database of this SQLAlchemy URL, or None for other databases."""
    url = make_url(url)
    if url.get_backend_name() != "postgresql":
        return None
    conninfo = url.set(drivername="postgresql").render_as_string(hide_password=False)
    return ReadPool(conninfo, size=size, timeout=timeout)


@lru_cache(maxsize=2048)  # every shape of roster search is two statements: a few hundred in all
def _sql(statement: Executable) -> tuple[str, dict[str, Any]]:
    """The statement as PostgreSQL text for psycopg, with the values of its literals; compiled once."""
    compiled = statement.compile(dialect=_DIALECT)
    return compiled.string, dict(compiled.params)


def _rows_now(engine: Engine, statement: Executable, params: dict[str, Any]) -> Sequence[tuple]:
    with engine.connect() as connection:
        return connection.execute(statement, params).all()


async def fetch(state, statement: Executable, params: dict[str, Any] | None = None) -> Sequence[tuple]:
    """The rows of a prebuilt statement without expanding parameters, read on ``state``'s pool if it
    has one, else on its read engine in a worker thread. Columns come by position."""
    params = params or {}
    if (pool := state.read_pool) is not None:
        sql, literals = _sql(statement)
        return await pool.rows(sql, literals | params)
    return await anyio.to_thread.run_sync(_rows_now, state.read_engine, statement, params)


async def change(pool: ReadPool, statement: Executable, params: dict[str, Any]) -> list[tuple]:
    """The rows a prebuilt statement that changes data returns (no expanding parameters), made on the
    event loop: it commits by itself, and is never sent twice."""
    sql, literals = _sql(statement)
    return await pool.rows(sql, literals | params, changes=True)


async def estimate(state, statement: Executable, params: dict[str, Any]) -> tuple[int, float]:
    """PostgreSQL's planner's estimate for a ``SELECT count(*)`` statement, without running it: the rows it
    would count, and the cost of counting them (the planner's units). Only where ``state`` has a pool."""
    sql, literals = _sql(statement)
    rows = await state.read_pool.rows("EXPLAIN (FORMAT JSON) " + sql, literals | params)
    top = rows[0][0][0]["Plan"]
    node, workers = top, 1
    while node.get("Node Type") in ("Aggregate", "Gather", "Gather Merge") and node.get("Plans"):
        workers = max(workers, 1 + node.get("Workers Planned", 0))
        node = node["Plans"][0]
    counted = node["Plan Rows"] * (workers if node.get("Parallel Aware") else 1)
    return round(counted), float(top["Total Cost"])
