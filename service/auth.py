"""API tokens: random, stored only as SHA-256 hashes, revocable, one role each."""

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from sqlmodel import Session, select

from schemas.enums import Role
from service.tables import ApiToken, MemberState, utcnow

TOKEN_PREFIX = "rst_"


@dataclass(frozen=True)
class Principal:
    """Who is calling: the token's id, name, role and, for Member States, the state."""

    token_id: int
    name: str
    role: Role
    state: str | None = None


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(session: Session, *, role: Role, name: str, state: str | None = None) -> tuple[ApiToken, str]:
    """Create a token; the secret is returned once and never stored."""
    from service.errors import Invalid

    if (role == Role.member_state) != (state is not None):
        raise Invalid("state", "a member_state token needs --state ISO3; other roles take no state")
    if state is not None and session.get(MemberState, state) is None:
        raise Invalid("state", f"unknown Member State {state!r}: use an ISO 3166-1 alpha-3 code from /reference/member-states")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(name=name, role=role, state=state, token_hash=hash_token(secret), prefix=secret[:10])
    session.add(row)
    session.flush()
    return row, secret


def authenticate(session: Session, secret: str) -> Principal | None:
    """Look the token up by its hash; only hashes are stored, and they are compared in constant time."""
    digest = hash_token(secret)
    row = session.exec(select(ApiToken).where(ApiToken.token_hash == digest)).first()
    if row is None or not hmac.compare_digest(row.token_hash, digest) or row.revoked_at is not None:
        return None
    return Principal(token_id=row.id, name=row.name, role=Role(row.role), state=row.state)


def revoke(session: Session, token_id: int) -> ApiToken | None:
    row = session.get(ApiToken, token_id)
    if row is not None and row.revoked_at is None:
        row.revoked_at = utcnow()
        session.add(row)
    return row
