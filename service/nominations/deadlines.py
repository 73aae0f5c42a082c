"""The worker's pass over calls: an open call whose deadline has passed is closed, and its states are told."""

from datetime import date

from sqlalchemy import Engine
from sqlmodel import Session

from schemas.enums import CallStatus
from service.nominations import repository as repo
from service.nominations.events import call_event
from service.platform import audit

WORKER = "worker (deadline passed)"


def close_due_calls(engine: Engine, *, today: date | None = None) -> int:
    """Close every open call whose deadline is before ``today``; how many were closed."""
    today = today or date.today()
    actor = repo.acting(WORKER)
    closed = 0
    with Session(engine) as session:
        for call in repo.due_calls(session, today):
            before = repo.call_public(session, actor, call)
            if not repo.end_call(session, call, CallStatus.closed, WORKER):
                continue  # closed by HQ meanwhile
            after = repo.call_public(session, actor, call)
            audit.record(session, actor, "close", "nomination_call", call.id, before=before, after=after)
            call_event(
                session, call, "call.closed", after, repo.call_states(session, call.id), reason="deadline passed"
            )
            closed += 1
        session.commit()
    return closed
