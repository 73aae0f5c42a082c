"""The transactional outbox: events written in the same transaction as the change they report."""

from typing import Any

from fastapi.encoders import jsonable_encoder
from sqlalchemy import text
from sqlmodel import Session, col

from service.platform import hooks
from service.platform.tables import OutboxEvent

CURRENT_TXID = "(pg_current_xact_id()::text)::bigint"
OLDEST_RUNNING_TXID = "(pg_snapshot_xmin(pg_current_snapshot())::text)::bigint"
EVENT_TYPES = (
    "offer.accepted",
    "offer.declined",
    "offer.assessed",
    "offer.readiness_changed",
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

    On PostgreSQL an event whose transaction started after the oldest one still running is held
    back until that one ends, so a reader moving its cursor past an id never skips a smaller id that
    commits later. SQLite serialises writers, so its ids follow commit order already.
    """
    if session.get_bind().dialect.name == "postgresql":
        return statement.where(col(OutboxEvent.txid) < text(OLDEST_RUNNING_TXID))
    return statement


def install() -> None:
    """Take the events that lower domains publish (``platform/hooks.publish``) into the outbox."""
    hooks.on_event(emit)
