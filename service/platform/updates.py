"""The one way routes change a stored row: If-Match, the change, an audit entry, commit, new ETag."""

from collections.abc import Callable
from typing import Any

from fastapi import Response
from sqlmodel import Session

from service.platform import audit
from service.platform.auth import Principal
from service.platform.etags import check_if_match, set_etag


def audited_update(session: Session, principal: Principal, response: Response, if_match: str | None, *,
                   row: Any, entity: str, public: Callable[[Any], Any], change: Callable[[], object]) -> Any:
    """Apply ``change`` to ``row`` unless If-Match is stale (412); record before and after; answer ``after``."""
    check_if_match(if_match, row.version)
    before = public(row)
    change()
    after = public(row)
    audit.record(session, principal, "update", entity, row.id, before=before, after=after)
    session.commit()
    set_etag(response, row.version)
    return after
