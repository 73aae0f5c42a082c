"""The transactional outbox: events written in the same transaction as the change they report."""

from typing import Any

from fastapi.encoders import jsonable_encoder
from sqlalchemy import text
from sqlmodel import Session, col

from service.platform.tables import OutboxEvent

CURRENT_TXID = "(pg_current_xact_id()::text)::bigint"
# The oldest transaction of this database that was running when the statement's snapshot was taken (or the
# next transaction id when none was). Transactions that pg_stat_activity shows running in another database are
# left out: they cannot write this database's outbox. Everything else in the snapshot counts, including one that
# has ended since (it cannot be told apart, and the next read passes it). backend_xid is a 32-bit xid while
# the snapshot holds 64-bit xid8 values: a running transaction is less than 2^31 from the next xid, so its low
# 32 bits name it without ambiguity and no epoch arithmetic is needed.
OLDEST_RUNNING_TXID = """(
    SELECT min(running.xid::text::bigint)
    FROM pg_current_snapshot() AS snapshot,
         LATERAL (
             SELECT pg_snapshot_xmax(snapshot) AS xid
             UNION ALL
             SELECT xid FROM pg_snapshot_xip(snapshot) AS xid
             WHERE xid::text::bigint % 4294967296 NOT IN (
                 SELECT backend_xid::text::bigint FROM pg_stat_activity
                 WHERE backend_xid IS NOT NULL AND datname <> current_database()
             )
         ) AS running
)"""
EVENT_TYPES = (
    "offer.accepted",
    "offer.declined",
    "deployment.approved",
    "deployment.status_changed",
    "deployment.cancelled",
    "deployment.ending_soon",
    "deployment.at_risk",
    "plan.finished",
)


def emit(session: Session, type: str, *, state: str | None, entity: str, entity_id: object, payload: Any) -> None:
    """Add an event; ``state`` is the Member State concerned (it and HQ see it), None for HQ only."""
    if type not in EVENT_TYPES:
        raise ValueError(f"unknown event type {type!r}")
    event = OutboxEvent(
        type=type, state=state, entity=entity, entity_id=str(entity_id), payload=jsonable_encoder(payload)
    )
    if session.get_bind().dialect.name == "postgresql":
        event.txid = text(CURRENT_TXID)  # type: ignore[assignment]  # SQL the database evaluates at insert
    session.add(event)


def committed(statement, session: Session):
    """Only events no running transaction can still precede (ids are taken at insert, not at commit).

    On PostgreSQL an event whose transaction started after the oldest one still running in this
    database is held back until that one ends, so a reader moving its cursor past an id never skips
    a smaller id that commits later. SQLite serialises writers, so its ids follow commit order already.

    Why the statement's snapshot filtered through pg_stat_activity: the snapshot's own lower bound
    (``pg_snapshot_xmin``) is cluster-wide, so a write left open in another database on the same
    server held every new event back for as long as it stayed open. The snapshot still decides which
    transactions were running (the same instant the rows are read at, so none can commit in between
    unseen), and pg_stat_activity only removes those it positively places in another database: an
    unknown one (a prepared transaction, a session that ended meanwhile) still counts. Any role may
    read another session's datname and backend_xid (checked on PostgreSQL 15), so the service needs
    no monitoring grant. The other ways weighed: advisory locks taken by every writer and read from
    pg_locks need every writer to remember them; a counter taken in commit order makes writers queue
    on one row.
    """
    if session.get_bind().dialect.name == "postgresql":
        return statement.where(col(OutboxEvent.txid) < text(OLDEST_RUNNING_TXID))
    return statement
