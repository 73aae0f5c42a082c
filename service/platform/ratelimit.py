"""Slow down token guessing: too many failed sign-ins from one client answer 429 for a while.

Only bad tokens are counted and only bad tokens are refused: a valid token always signs in, so one
office behind one address is never locked out by a colleague's typo or a neighbour's scan. The count
lives in the database (``sign_in_failure``), shared by every API process and kept across restarts.
The client is the connection's address, or the one ``X-Forwarded-For`` names when the connection
comes from a proxy listed in ``ROSTER_TRUSTED_PROXIES`` (anyone else can write that header); the
scheme (for HSTS and Secure cookies) likewise comes from ``X-Forwarded-Proto`` only from such a proxy.
"""

from datetime import UTC, datetime, timedelta
from ipaddress import ip_address, ip_network

from sqlalchemy import Engine, delete, or_
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select
from starlette.requests import Request

from service.platform.tables import SignInFailure, utcnow


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class SignInThrottle:
    def __init__(self, engine: Engine, limit: int = 10, window: float = 60.0, block: float = 300.0) -> None:
        self.engine, self.limit = engine, limit
        self.window, self.block = timedelta(seconds=window), timedelta(seconds=block)
        dialect = postgresql if engine.dialect.name == "postgresql" else sqlite
        self._insert = dialect.insert(SignInFailure).on_conflict_do_nothing()

    def retry_after(self, client: str, now: datetime | None = None) -> int:
        """Seconds the client must wait before its next bad token is even looked at, or 0."""
        now = now or utcnow()
        with Session(self.engine) as session:
            until = session.exec(select(SignInFailure.blocked_until).where(SignInFailure.client == client)).first()
        if until is None or _aware(until) <= now:
            return 0
        return int((_aware(until) - now).total_seconds()) + 1

    def failed(self, client: str, now: datetime | None = None) -> None:
        """Count a bad token; the ``limit``-th within ``window`` blocks the client for ``block``."""
        now = now or utcnow()
        with Session(self.engine) as session:
            session.exec(self._insert.values(client=client, failures=0, window_started_at=now))
            row = session.exec(select(SignInFailure).where(SignInFailure.client == client).with_for_update()).one()
            if _aware(row.window_started_at) <= now - self.window:
                row.failures, row.window_started_at = 0, now
            row.failures += 1
            if row.failures >= self.limit:
                row.failures, row.blocked_until = 0, now + self.block
            session.add(row)
            self._forget_old(session, now)
            session.commit()

    def _forget_old(self, session: Session, now: datetime) -> None:
        """Rows whose window and block are both over say nothing more."""
        session.exec(
            delete(SignInFailure).where(
                SignInFailure.window_started_at <= now - self.window,
                or_(SignInFailure.blocked_until.is_(None), col(SignInFailure.blocked_until) <= now),
            )
        )


def client_address(request: Request, trusted_proxies: list[str]) -> str:
    """The caller's address: the connection's, or behind trusted proxies the last untrusted X-Forwarded-For hop."""
    peer = _peer(request)
    if not _from_trusted_proxy(request, trusted_proxies):
        return peer
    hops = [h.strip() for h in request.headers.get("x-forwarded-for", "").split(",") if h.strip()]
    for hop in reversed(hops):
        if not _trusted(hop, trusted_proxies):
            return hop[:64]
    return peer


def request_scheme(request: Request, trusted_proxies: list[str]) -> str:
    """``http`` or ``https`` as the caller sees it: the connection's, or behind a trusted proxy the
    ``X-Forwarded-Proto`` that the nearest proxy set (anyone else can write that header)."""
    if _from_trusted_proxy(request, trusted_proxies):
        forwarded = request.headers.get("x-forwarded-proto", "").split(",")[-1].strip().lower()
        if forwarded in ("http", "https"):
            return forwarded
    return request.url.scheme


def _peer(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _from_trusted_proxy(request: Request, trusted_proxies: list[str]) -> bool:
    return bool(trusted_proxies) and _trusted(_peer(request), trusted_proxies)


def _trusted(address: str, trusted_proxies: list[str]) -> bool:
    try:
        ip = ip_address(address)
    except ValueError:
        return False
    return any(ip in ip_network(proxy, strict=False) for proxy in trusted_proxies)
