"""The worker loop: plans, webhook deliveries, end-of-mission and credential reminders, a daily recheck of live
deployments, and the chores higher domains schedule (privacy's daily retention purge)."""

import logging
import os
import socket
import threading
import time
import weakref
from collections.abc import Callable, Sequence

from sqlalchemy import Engine
from sqlmodel import Session

from service.deployments import expiring, reminders
from service.nominations import deadlines
from service.notifications import webhooks
from service.planning import jobs, risks
from service.platform import idempotency, wakeup

logger = logging.getLogger("roster.worker")
RECHECK_EVERY_SECONDS = 20 * 3600  # about daily: changes are rechecked when made, this pass is a safety net
PURGE_EVERY_SECONDS = 3600
DEADLINES_EVERY_SECONDS = 3600  # deadlines are days: an hour late at most
_last_recheck: weakref.WeakKeyDictionary[Engine, float] = weakref.WeakKeyDictionary()
_last_purge: weakref.WeakKeyDictionary[Engine, float] = weakref.WeakKeyDictionary()
_last_deadlines: weakref.WeakKeyDictionary[Engine, float] = weakref.WeakKeyDictionary()
Chore = Callable[[Engine], object]
# Periodic work of a domain above planning (privacy's retention purge), which the worker may not import: each
# chore's name -> (every how many seconds, the chore, its last round per engine).
_chores: dict[str, tuple[float, Chore, weakref.WeakKeyDictionary[Engine, float]]] = {}


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident() % 100000}"


def tick(
    engine: Engine,
    name: str,
    lease_seconds: float,
    reminder_days: int,
    webhook_networks: Sequence[str] = (),
    keep_answers_hours: float = 24.0,
) -> bool:
    """One round of work; True if a plan ran (so the next round should not wait)."""
    ran = jobs.work_once(engine, name, lease_seconds) is not None
    reminders.emit_ending_soon(engine, within_days=reminder_days)
    _deadlines_hourly(engine)
    _recheck_daily(engine)
    _purge_hourly(engine, keep_answers_hours)
    _scheduled(engine)
    with Session(engine) as session:
        webhooks.enqueue(session)
        session.commit()
    webhooks.dispatch_once(engine, allowed=webhook_networks)
    return ran


def _due(last: weakref.WeakKeyDictionary[Engine, float], engine: Engine, every: float) -> bool:
    """True on the first round for this engine, then once ``every`` seconds have gone (and noted as done)."""
    now = time.monotonic()
    if now - last.get(engine, -every) < every:
        return False
    last[engine] = now
    return True


def _recheck_daily(engine: Engine) -> None:
    """Every live deployment checked again, on the first round and then about once a day."""
    if _due(_last_recheck, engine, RECHECK_EVERY_SECONDS):
        changed = risks.recheck_all(engine)
        if changed:
            logger.info("daily recheck: %d deployment(s) flagged or cleared", changed)


def _deadlines_hourly(engine: Engine) -> None:
    """Calls past their deadline closed, selections still awaiting consent after their due day declined,
    credentials of deployed or nominated people expiring soon announced: on the first round and then hourly."""
    if not _due(_last_deadlines, engine, DEADLINES_EVERY_SECONDS):
        return
    if closed := deadlines.close_due_calls(engine):
        logger.info("call deadline: %d call(s) closed", closed)
    if declined := reminders.decline_overdue(engine):
        logger.info("consent deadline: %d selection(s) declined", declined)
    if reminded := expiring.emit_expiring(engine):
        logger.info("credentials: %d expiring credential(s) announced", reminded)


def _purge_hourly(engine: Engine, keep_answers_hours: float) -> None:
    """Kept Idempotency-Key answers past their time, deleted on the first round and then about once an hour."""
    if _due(_last_purge, engine, PURGE_EVERY_SECONDS):
        with Session(engine) as session:
            if gone := idempotency.purge(session, keep_answers_hours):
                logger.info("purged %d kept answer(s) older than %s h", gone, keep_answers_hours)


def schedule(name: str, every_seconds: float, chore: Chore) -> None:
    """Run ``chore(engine)`` on the first round and then every ``every_seconds`` (once, however often scheduled)."""
    if name not in _chores:
        _chores[name] = (every_seconds, chore, weakref.WeakKeyDictionary())


def _scheduled(engine: Engine) -> None:
    for every, chore, last in list(_chores.values()):
        if _due(last, engine, every):
            chore(engine)


def run(
    engine: Engine,
    stop: threading.Event,
    *,
    lease_seconds: float,
    poll_seconds: float,
    reminder_days: int,
    webhook_networks: Sequence[str] = (),
    keep_answers_hours: float = 24.0,
) -> None:
    """Work until ``stop`` is set; errors in one round are logged and the loop goes on. Between rounds it
    waits ``poll_seconds``, or less: queued work wakes it at once (platform.wakeup)."""
    name = worker_id()
    logger.info("worker %s started", name)
    wakeup.listen(engine, stop)
    while not stop.is_set():
        seen = wakeup.generation()
        try:
            if tick(engine, name, lease_seconds, reminder_days, webhook_networks, keep_answers_hours):
                continue
        except Exception:
            logger.exception("worker round failed")
        wakeup.wait(seen, poll_seconds, stop)
    logger.info("worker %s stopped", name)


def start_thread(engine: Engine, settings) -> tuple[threading.Thread, threading.Event]:
    stop = threading.Event()
    thread = threading.Thread(
        target=run,
        args=(engine, stop),
        name="roster-worker",
        daemon=True,
        kwargs={
            "lease_seconds": settings.worker_lease_seconds,
            "poll_seconds": settings.worker_poll_seconds,
            "reminder_days": settings.reminder_days,
            "webhook_networks": settings.webhook_allowed_networks,
            "keep_answers_hours": settings.idempotency_keep_hours,
        },
    )
    thread.start()
    return thread, stop
