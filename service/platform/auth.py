"""API tokens: random, stored only as SHA-256 hashes, revocable, one role each."""

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass

from sqlmodel import Session, select

from schemas.enums import Role
from service.platform.tables import ApiToken, MemberState, utcnow

TOKEN_PREFIX = "rst_"


@dataclass(frozen=True)
class Principal:
    """Who is calling: the token's id, name, role and, for Member States, the state."""

    token_id: int
    name: str
    role: Role
    state: str | None = None


def bearer_secret(authorization: str) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header, or None when the header is not that."""
    scheme, _, secret = authorization.partition(" ")
    return (secret.strip() or None) if scheme.lower() == "bearer" else None


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(session: Session, *, role: Role, name: str, state: str | None = None) -> tuple[ApiToken, str]:
    """Create a token; the secret is returned once and never stored."""
    from service.platform.errors import Invalid

    if (role == Role.member_state) != (state is not None):
        raise Invalid("state", "a member_state token needs --state ISO3; other roles take no state")
    if state is not None and session.get(MemberState, state) is None:
        raise Invalid(
            "state", f"unknown Member State {state!r}: use an ISO 3166-1 alpha-3 code from /reference/member-states"
        )
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(name=name, role=role, state=state, token_hash=hash_token(secret), prefix=secret[:10])
    session.add(row)
    session.flush()
    return row, secret


class RecentTokens:
    """Tokens verified in the last few seconds, so that a burst of requests costs one look-up per token.

    Only good tokens are kept (bad ones go to the database and the failed sign-in throttle every time).
    A token revoked in this process is refused here at once and for good (``revoked``): a look-up that
    read the token before the revocation committed cannot put it back. One revoked by another process (a
    second server, the CLI) is refused here within ``seconds``. A token in steady use is verified again
    once half its time has gone (``due``), in the background, so that its time rarely runs out: otherwise
    every request that arrived just after would wait for a look-up of its own.
    """

    MAX_ENTRIES = 10_000

    def __init__(self, clock=time.monotonic) -> None:
        self.clock = clock
        self._entries: dict[str, tuple[float, Principal]] = {}
        self._verifying: set[str] = set()
        self._revoked: dict[str, None] = {}  # in revocation order; the oldest go first past MAX_ENTRIES

    def get(self, digest: str, seconds: float) -> Principal | None:
        entry = self._entries.get(digest)
        if entry is None or self.clock() - entry[0] >= seconds:
            return None
        return entry[1]

    def due(self, digest: str, seconds: float) -> bool:
        """Whether to verify this kept token again now: true once, when half its time has gone."""
        entry = self._entries.get(digest)
        if entry is None or digest in self._verifying or self.clock() - entry[0] < seconds / 2:
            return False
        self._verifying.add(digest)
        return True

    def put(self, digest: str, principal: Principal) -> None:
        if digest in self._revoked:
            self._verifying.discard(digest)
            return
        if len(self._entries) >= self.MAX_ENTRIES:
            self._entries.clear()
        self._entries[digest] = (self.clock(), principal)
        self._verifying.discard(digest)

    def forget(self, digest: str) -> None:
        self._entries.pop(digest, None)
        self._verifying.discard(digest)

    def revoked(self, digest: str) -> None:
        """A token this process revoked (call it after the commit): refused from now on without a look-up."""
        self._revoked[digest] = None
        while len(self._revoked) > self.MAX_ENTRIES:
            del self._revoked[next(iter(self._revoked))]
        self.forget(digest)

    def is_revoked(self, digest: str) -> bool:
        return digest in self._revoked


recent_tokens = RecentTokens()


def authenticate(session: Session, secret: str, cache_seconds: float = 0.0) -> Principal | None:
    """Look the token up by its hash; only hashes are stored, and they are compared in constant time.

    With ``cache_seconds``, a token verified that recently is not looked up again.
    """
    digest = hash_token(secret)
    if recent_tokens.is_revoked(digest):
        return None
    if cache_seconds > 0 and (principal := recent_tokens.get(digest, cache_seconds)) is not None:
        return principal
    row = session.exec(
        select(
            ApiToken.id, ApiToken.name, ApiToken.role, ApiToken.state, ApiToken.token_hash, ApiToken.revoked_at
        ).where(ApiToken.token_hash == digest)
    ).first()
    if row is None or not hmac.compare_digest(row.token_hash, digest) or row.revoked_at is not None:
        return None
    principal = Principal(token_id=row.id, name=row.name, role=Role(row.role), state=row.state)
    if cache_seconds > 0:
        recent_tokens.put(digest, principal)
    return principal


def revoke(session: Session, token_id: int) -> ApiToken | None:
    """Mark the token revoked in the session's transaction; call ``revoked_here`` once it commits."""
    row = session.get(ApiToken, token_id)
    if row is not None and row.revoked_at is None:
        row.revoked_at = utcnow()
        session.add(row)
    if row is not None:
        recent_tokens.forget(row.token_hash)
    return row


def revoked_here(row: ApiToken) -> None:
    """After the commit of ``revoke``: this process refuses the token at once, whatever look-up is under way."""
    recent_tokens.revoked(row.token_hash)
