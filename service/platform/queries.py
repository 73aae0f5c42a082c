"""Query helpers shared by the repositories: scoped look-ups and pages."""

from collections.abc import Callable

import psycopg
from sqlalchemy import UniqueConstraint, func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from service.platform.auth import Principal
from service.platform.errors import not_found

Scope = Callable  # (statement, principal) -> statement


def get_scoped(session: Session, model, ident: int, principal: Principal, scope: Scope, entity: str):
    """The row if the caller may see it; otherwise the same 404 as for an id that does not exist."""
    row = session.exec(scope(select(model).where(model.id == ident), principal)).first()
    if row is None:
        raise not_found(entity, ident)
    return row


def page(
    session: Session,
    model,
    principal: Principal,
    scope: Scope,
    conditions: list,
    order_by: tuple,
    limit: int,
    offset: int,
) -> tuple[list, int]:
    """One page of visible rows matching ``conditions``, and how many match in all."""
    count = session.exec(scope(select(func.count()).select_from(model).where(*conditions), principal)).one()
    rows = session.exec(
        scope(select(model).where(*conditions), principal).order_by(*order_by).limit(limit).offset(offset)
    ).all()
    return list(rows), count


def violates(error: IntegrityError | psycopg.IntegrityError, constraint: UniqueConstraint) -> bool:
    """Whether the database refused a write for this unique constraint: PostgreSQL names it, SQLite
    lists its columns."""
    orig = getattr(error, "orig", error)  # SQLAlchemy's wraps the driver's; psycopg's own is raised on the event loop
    if getattr(getattr(orig, "diag", None), "constraint_name", None) == constraint.name:
        return True
    columns = ", ".join(f"{constraint.table.name}.{column.name}" for column in constraint.columns)
    return f"UNIQUE constraint failed: {columns}" in str(orig)
