"""The transactional outbox: events written in the same transaction as the change they report."""

from typing import Any

from fastapi.encoders import jsonable_encoder
from sqlalchemy import text
from sqlmodel import Session, col

from service.platform import hooks
from service.platform.personal import for_everyone
from service.platform.tables import OutboxEvent

CURRENT_TXID = "(pg_current_xact_id()::text)::bigint"  # still recorded, for diagnosis; the feed no longer reads it
# Every transaction that writes an event first holds a shared advisory lock (two-key form: this
# constant, then where the outbox's id sequence stood). Any id it takes afterwards is larger, so the
# smallest such position in pg_locks bounds the ids that may still commit; pg_locks names each lock's
# database, so other databases on the server never count.
WRITER_LOCKS = 0x524F5354  # "ROST"; single-key advisory locks (platform/locks) have objsubid 1, these 2
LAST_ID = "SELECT coalesce(pg_sequence_last_value(pg_get_serial_sequence('outbox_event', 'id')::regclass), 0)"
ANNOUNCE_WRITER = f"SELECT pg_advisory_xact_lock_shared({WRITER_LOCKS}, ({LAST_ID})::int)"
OLDEST_WRITER = f"""
    SELECT min(objid::bigint) FROM pg_locks
    WHERE locktype = 'advisory' AND classid = {WRITER_LOCKS} AND objsubid = 2
      AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
"""
EVENT_TYPES = (
    "offer.accepted",
    "offer.declined",
    "offer.assessed",
    "offer.readiness_changed",
    "request.proposed",
    "request.accepted",
    "request.declined",
    "request.withdrawn",
    "deployment.approved",
    "deployment.consent_requested",
    "deployment.confirmed",
    "deployment.declined",
    "deployment.status_changed",
    "deployment.cancelled",
    "deployment.ending_soon",
    "deployment.at_risk",
    "plan.finished",
    "call.opened",
    "call.closed",
    "nomination.submitted",
    "nomination.withdrawn",
    "nomination.decided",
    "nomination.assessed",
    "credential.expiring",
)
# Events of these types without a state go to every Member State: a call to all states is one event, not one
# per state. Every other event without a state is HQ's only.
PUBLIC_TYPES = ("call.opened", "call.closed")


def emit(session: Session, type: str, *, state: str | None, entity: str, entity_id: object, payload: Any) -> None:
    """Add an event; ``state`` is the Member State concerned (it and HQ see it), None for HQ only."""
    if type not in EVENT_TYPES:
        raise ValueError(f"unknown event type {type!r}")
    # One event reaches the subscribers of every role: it carries no personal field that some role may not see.
    shown = for_everyone(payload) if isinstance(payload, dict) else payload
    event = OutboxEvent(
        type=type, state=state, entity=entity, entity_id=str(entity_id), payload=jsonable_encoder(shown)
    )
    if session.get_bind().dialect.name == "postgresql":
        _announce_writer(session)
        event.txid = text(CURRENT_TXID)  # type: ignore[assignment]  # SQL the database evaluates at insert
    session.add(event)


def _announce_writer(session: Session) -> None:
    """The writer's lock (see committed()), once per transaction: before its first event takes an id.

    Once, because each further event would move the sequence and so take another lock, and thousands
    of locks in one transaction would exhaust the server's lock table.
    """
    if session.get_transaction() is None or session.info.get("outbox writer") is not session.get_transaction():
        with session.no_autoflush:  # the caller's pending rows are flushed when it chooses, as before
            session.execute(text(ANNOUNCE_WRITER))
        session.info["outbox writer"] = session.get_transaction()


def committed(statement, session: Session):
    """Only events no running transaction can still precede (ids are taken at insert, not at commit).

    On PostgreSQL an event is held back while a transaction of this database that writes events,
    and began writing before the event's id was taken, is still open: a reader moving its cursor past
    an id never skips a smaller id that commits later. SQLite serialises writers, so its ids follow
    commit order already.

    How: emit() takes a shared advisory lock keyed by the sequence's position before the insert takes
    an id, so every id of an open writer is above the smallest position in pg_locks; ids up to that
    bound (or up to the sequence, when nobody writes) are final. The sequence is read first and the
    locks second, each in its own statement before the events are read (READ COMMITTED: a fresh
    snapshot per statement), so a writer that starts in between is counted by one or the other.

    Why not transaction ids, as before: ``pg_snapshot_xmin`` is cluster-wide, so a write left open in
    another database held every new event back for as long as it stayed open; and transaction ids do
    not follow event ids (a transaction that began earlier may take the larger id and commit first),
    so a cut by them could let a poller skip an event. pg_stat_activity filtered by database would
    fix the first but not the second; a counter taken in commit order would need a migration and
    make writers queue on one row. Shared advisory locks never wait on each other.
    """
    if session.get_bind().dialect.name == "postgresql":
        last: int = session.execute(text(LAST_ID)).scalar_one()
        oldest: int | None = session.execute(text(OLDEST_WRITER)).scalar_one()
        return statement.where(col(OutboxEvent.id) <= (last if oldest is None else min(last, oldest)))
    return statement


def install() -> None:
    """Take the events that lower domains publish (``platform/hooks.publish``) into the outbox."""
    hooks.on_event(emit)
