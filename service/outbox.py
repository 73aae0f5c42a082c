"""The transactional outbox: events written in the same transaction as the change they report."""

from typing import Any

from fastapi.encoders import jsonable_encoder
from sqlmodel import Session

from service.tables import OutboxEvent

EVENT_TYPES = (
    "offer.accepted",
    "offer.declined",
    "deployment.approved",
    "deployment.status_changed",
    "deployment.cancelled",
    "deployment.ending_soon",
    "plan.finished",
)


def emit(session: Session, type: str, *, state: str | None, entity: str, entity_id: object, payload: Any) -> None:
    """Add an event; ``state`` is the Member State concerned (it and HQ see it), None for HQ only."""
    if type not in EVENT_TYPES:
        raise ValueError(f"unknown event type {type!r}")
    session.add(OutboxEvent(type=type, state=state, entity=entity, entity_id=str(entity_id),
                            payload=jsonable_encoder(payload)))
