"""Transaction locks that make a booking and a change of the rows it relies on wait for each other.

An approval takes its supplier's lock (and its request's) before it checks the rows; a change to an
expert, an offer or a request takes the same lock before it changes them. Whichever comes second then
sees the other committed: an approval checks the changed rows, or a change finds the new deployment
and flags it at risk. Locks are taken in sorted order, so two writers never wait on each other in a
circle. PostgreSQL only: SQLite runs one writer at a time.
"""

from collections.abc import Iterable

from sqlalchemy import text
from sqlmodel import Session

# One statement for any number of keys, in the order given (the subquery keeps it).
LOCK_ALL = text(
    "SELECT count(pg_advisory_xact_lock(hashtext(k))) FROM "
    "(SELECT k FROM unnest(CAST(:keys AS text[])) WITH ORDINALITY AS t(k, n) ORDER BY n) AS ordered"
)


def _lock(session: Session, keys: Iterable[str]) -> None:
    ordered = sorted(set(keys))
    if ordered and session.get_bind().dialect.name == "postgresql":
        session.execute(LOCK_ALL, {"keys": ordered})


def lock_suppliers(session: Session, suppliers: Iterable[str]) -> None:
    """The booking locks of these suppliers ("E17", "O5") until the transaction ends."""
    _lock(session, (f"booking {s}" for s in suppliers))


def lock_requests(session: Session, request_ids: Iterable[int]) -> None:
    """The locks of these capacity requests until the transaction ends (take them before supplier locks)."""
    _lock(session, (f"request {r}" for r in request_ids))
