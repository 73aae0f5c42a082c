"""The append-only audit trail: who changed what, when, before and after."""

from datetime import datetime
from typing import Any

from fastapi.encoders import jsonable_encoder
from pydantic import BaseModel
from sqlalchemy import insert
from sqlmodel import Session

from service.auth import Principal
from service.tables import AuditEntry, utcnow

_INSERT = insert(AuditEntry.__table__)


def _json(value: Any) -> Any:
    """The value as JSON data; a model is dumped as ``jsonable_encoder`` would, without walking it twice."""
    if value is None:
        return None
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", by_alias=True)
    return jsonable_encoder(value)


def row(principal: Principal, action: str, entity: str, entity_id: object, *, before: Any = None,
        after: Any = None, at: datetime | None = None) -> dict:
    """An audit entry as the values of an INSERT (several make one multi-row INSERT); ``before`` and
    ``after`` are JSON data already."""
    return {"at": at or utcnow(), "actor_token_id": principal.token_id, "actor_name": principal.name,
            "actor_role": principal.role.value, "actor_state": principal.state, "action": action,
            "entity": entity, "entity_id": str(entity_id), "before": before, "after": after}


def record(
    session: Session,
    principal: Principal,
    action: str,
    entity: str,
    entity_id: object,
    *,
    before: Any = None,
    after: Any = None,
) -> None:
    """Write an audit entry in the current transaction, so it commits or rolls back with the change.

    A plain INSERT, not an ORM object: an entry is never read back by the request that writes it.
    """
    values = row(principal, action, entity, entity_id, before=_json(before), after=_json(after))
    session.connection().execute(_INSERT, values)
