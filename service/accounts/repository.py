"""API tokens and the audit trail: their queries."""

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import func
from sqlmodel import Session, select

from service.platform.tables import ApiToken, AuditEntry


def tokens(session: Session) -> Sequence[ApiToken]:
    return session.exec(select(ApiToken).order_by(ApiToken.id)).all()


def audit_entries(
    session: Session, filters: dict, since: datetime | None, limit: int, offset: int
) -> tuple[Sequence[AuditEntry], int]:
    """A page of the audit trail, newest first, and how many entries match: each filter (column: value)
    that is not None, and at or after ``since`` (UTC when it names no zone)."""
    conditions = [getattr(AuditEntry, name) == value for name, value in filters.items() if value is not None]
    if since is not None:
        conditions.append(AuditEntry.at >= (since if since.tzinfo else since.replace(tzinfo=UTC)))
    count = session.exec(select(func.count()).select_from(AuditEntry).where(*conditions)).one()
    rows = session.exec(
        select(AuditEntry).where(*conditions).order_by(AuditEntry.id.desc()).limit(limit).offset(offset)
    ).all()
    return rows, count
