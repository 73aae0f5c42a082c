"""The append-only audit trail: who changed what, when, before and after."""

from datetime import datetime
from typing import Any

from fastapi.encoders import jsonable_encoder
from pydantic import BaseModel
from sqlalchemy import CTE, ColumnElement, String, bindparam, cast, func, insert, select
from sqlalchemy.dialects.postgresql import JSON, JSONB
from sqlmodel import Session

from service.platform.auth import Principal
from service.platform.tables import AuditEntry, utcnow

_INSERT = insert(AuditEntry.__table__)


def _json(value: Any) -> Any:
    """The value as JSON data; a model is dumped as ``jsonable_encoder`` would, without walking it twice."""
    if value is None:
        return None
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", by_alias=True)
    return jsonable_encoder(value)


def row(
    principal: Principal,
    action: str,
    entity: str,
    entity_id: object,
    *,
    before: Any = None,
    after: Any = None,
    at: datetime | None = None,
) -> dict:
    """An audit entry as the values of an INSERT (several make one multi-row INSERT); ``before`` and
    ``after`` are JSON data already."""
    return {
        "at": at or utcnow(),
        "actor_token_id": principal.token_id,
        "actor_name": principal.name,
        "actor_role": principal.role.value,
        "actor_state": principal.state,
        "action": action,
        "entity": entity,
        "entity_id": str(entity_id),
        "before": before,
        "after": after,
    }


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


_GIVEN = [c for c in AuditEntry.__table__.c if c.name not in ("id", "entity_id", "after")]


def insert_made(made_id: ColumnElement[int]) -> CTE:
    """A PostgreSQL CTE that records the creation of the row whose new id is ``made_id`` (a column of a
    CTE that inserts it), in the same statement: the values of ``row`` as ``audit_{name}``, with
    ``audit_after`` the row as JSON text whose ``id`` the new id replaces."""
    new_id = func.jsonb_build_object("id", made_id)
    after = cast(cast(bindparam("audit_after", type_=String), JSONB).op("||")(new_id), JSON)
    values = select(*(bindparam(f"audit_{c.name}", type_=c.type) for c in _GIVEN), cast(made_id, String), after)
    return insert(AuditEntry.__table__).from_select([*(c.name for c in _GIVEN), "entity_id", "after"], values).cte()


def made_params(principal: Principal, action: str, entity: str, after: str, at: datetime) -> dict:
    """The values for ``insert_made``: ``after`` is JSON text."""
    values = row(principal, action, entity, None, at=at) | {"after": after}
    return {f"audit_{name}": value for name, value in values.items() if name != "entity_id"}
