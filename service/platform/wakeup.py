"""Wake the workers when work is queued, instead of at their next poll (a plan used to wait up to the poll interval).

``announce(session)`` goes in the transaction that queues the work. On PostgreSQL it sends ``NOTIFY roster_work``,
which the server delivers when (and only if) the transaction commits, to every worker's ``listen`` thread; in this
process, the waiters wake once the session commits (the in-process worker on SQLite, and any worker here).

A worker notes ``seen = generation()`` before a round and ends it with ``wait(seen, seconds, stop)``: a wake-up
that came during the round returns at once, so none is lost. The poll interval stays as the safety net (a
notification missed while the listening connection was down).
"""

import logging
import threading
from contextlib import suppress

from sqlalchemy import Engine, event, text
from sqlmodel import Session

logger = logging.getLogger("roster.wakeup")
CHANNEL = "roster_work"
STOP_CHECK_SECONDS = 0.5  # a stop signalled to a plain Event (the CLI's) is seen within this
RECONNECT_SECONDS = 5.0

_changed = threading.Condition()
_generation = 0
_waiting = 0


def generation() -> int:
    with _changed:
        return _generation


def wake() -> None:
    """Wake every waiter of this process."""
    global _generation
    with _changed:
        _generation += 1
        _changed.notify_all()


def announce(session: Session) -> None:
    """Work was queued in this transaction: wake the workers when it commits."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_notify(:channel, '')"), {"channel": CHANNEL})
    event.listen(session, "after_commit", lambda _: wake(), once=True)


def waiting() -> int:
    """How many workers of this process are waiting for work now."""
    with _changed:
        return _waiting


def wait(seen: int, seconds: float, stop: threading.Event) -> bool:
    """Until a wake-up after ``seen``, ``seconds`` or ``stop``; True if woken."""
    global _waiting
    with _changed:
        _waiting += 1
        try:
            remaining = seconds
            while _generation == seen and remaining > 0 and not stop.is_set():
                step = min(remaining, STOP_CHECK_SECONDS)
                _changed.wait(step)
                remaining -= step
            return _generation != seen
        finally:
            _waiting -= 1


def listen(engine: Engine, stop: threading.Event) -> threading.Thread | None:
    """On PostgreSQL, a thread that turns ``NOTIFY roster_work`` into wake-ups here, until ``stop``."""
    if engine.dialect.name != "postgresql":
        return None
    thread = threading.Thread(target=_listen, args=(engine, stop), name="roster-wakeup", daemon=True)
    thread.start()
    return thread


def _listen(engine: Engine, stop: threading.Event) -> None:
    while not stop.is_set():
        raw = None
        try:
            raw = engine.raw_connection()
            connection = raw.driver_connection
            raw.detach()  # a connection of its own, out of the pool, for as long as the worker runs
            connection.rollback()
            connection.autocommit = True
            connection.execute(f"LISTEN {CHANNEL}")
            wake()  # anything queued before LISTEN is found by the round this starts
            while not stop.is_set():
                for _ in connection.notifies(timeout=STOP_CHECK_SECONDS, stop_after=1):
                    wake()
        except Exception:
            logger.warning("listening for %s failed; polling until it is back", CHANNEL, exc_info=True)
            stop.wait(RECONNECT_SECONDS)
        finally:
            if raw is not None:
                with suppress(Exception):
                    raw.close()
