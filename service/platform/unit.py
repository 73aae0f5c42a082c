"""One unit of work: a write, its audit entries and its kept idempotent answer, committed together.

A use case (``<domain>/service.py``) takes a ``Unit`` and ends it with ``commit``: the route or the page
that called it never commits, and the audit entry and the Idempotency-Key answer cannot miss the write
they describe, nor outlive it.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from fastapi import Request
from sqlmodel import Session

from service.platform import audit
from service.platform.auth import Principal
from service.platform.etags import check_if_match
from service.platform.idempotency import Claim, claim_of, keep

T = TypeVar("T")


@dataclass
class Unit:
    """Who acts, in which session, and the Idempotency-Key whose answer the commit keeps."""

    session: Session
    principal: Principal
    claim: Claim | None = None

    @classmethod
    def of(cls, session: Session, principal: Principal, request: Request | None = None) -> "Unit":
        return cls(session, principal, claim_of(request))

    def audit(self, action: str, entity: str, entity_id: object, *, before: Any = None, after: Any = None) -> None:
        """An audit entry in this transaction."""
        audit.record(self.session, self.principal, action, entity, entity_id, before=before, after=after)

    def commit(self, answer: T, status: int = 200) -> T:
        """Keep ``answer`` for an idempotent retry, commit everything, and give the answer back."""
        keep(self.session, self.claim, status, answer)
        self.session.commit()
        return answer

    def update(
        self,
        row: Any,
        *,
        entity: str,
        if_match: str | None,
        public: Callable[[Any], Any],
        change: Callable[[], object],
        shown: Callable[[Any], Any] | None = None,
    ) -> Any:
        """Apply ``change`` unless If-Match is stale (412); audit before and after; commit; answer ``after``, or
        what ``shown`` makes of it (the caller's view of a record with personal data)."""
        check_if_match(if_match, row.version)
        before = public(row)
        change()
        after = public(row)
        self.audit("update", entity, row.id, before=before, after=after)
        return self.commit(shown(after) if shown else after)
