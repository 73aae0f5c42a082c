"""The append-only audit trail: who changed what, when, before and after."""

from typing import Any

from fastapi.encoders import jsonable_encoder
from pydantic import BaseModel
from sqlmodel import Session

from service.auth import Principal
from service.tables import AuditEntry


def _json(value: Any) -> Any:
    """The value as JSON data; a model is dumped as ``jsonable_encoder`` would, without walking it twice."""
    if value is None:
        return None
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", by_alias=True)
    return jsonable_encoder(value)


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
    """Add an audit entry to the current transaction, so it commits or rolls back with the change."""
    session.add(
        AuditEntry(
            actor_token_id=principal.token_id,
            actor_name=principal.name,
            actor_role=principal.role.value,
            actor_state=principal.state,
            action=action,
            entity=entity,
            entity_id=str(entity_id),
            before=_json(before),
            after=_json(after),
        )
    )
