"""Browser sessions kept on the server: the cookie holds a random id, never the API token.

The table (``web_session``) keeps only the id's SHA-256 hash, the token that signed in, and when the
session began and was last used. A session ends when its token is revoked (checked on every page), when
it has been idle for ``ROSTER_SESSION_IDLE_SECONDS``, when it is ``ROSTER_SESSION_LIFETIME_SECONDS`` old,
or at sign-out, which deletes its row: a copied cookie stops working too. Expired rows are deleted at
each sign-in (no background job needed: a server nobody signs in to holds at most the sessions it had).
"""

import secrets
from datetime import datetime, timedelta

from sqlalchemy import Engine, delete, or_, update
from sqlmodel import Session, col, select

from schemas.enums import Role
from service.platform.auth import Principal, hash_token
from service.platform.tables import ApiToken, WebSession, stored_id, utcnow

# last_seen_at is written at most this often per session, so that reading pages rarely writes.
TOUCH_SECONDS = 60.0


class WebSessions:
    def __init__(self, engine: Engine, idle_seconds: float, lifetime_seconds: float) -> None:
        self.engine = engine
        self.idle, self.lifetime = timedelta(seconds=idle_seconds), timedelta(seconds=lifetime_seconds)
        self.touch = min(timedelta(seconds=TOUCH_SECONDS), self.idle / 10)

    def start(self, principal: Principal, now: datetime | None = None, replacing: str | None = None) -> str:
        """A new session for this token; the secret is returned once, for the cookie, and only its hash kept.

        ``replacing``: the browser's previous session (signing in again ends it rather than leave it alive).
        """
        now = now or utcnow()
        secret = secrets.token_urlsafe(32)
        with Session(self.engine) as session:
            self._purge(session, now)
            if replacing:
                session.exec(delete(WebSession).where(col(WebSession.secret_hash) == hash_token(replacing)))
            row = WebSession(secret_hash=hash_token(secret), token_id=principal.token_id, created_at=now)
            row.last_seen_at = now
            session.add(row)
            session.commit()
        return secret

    def principal(self, secret: str, now: datetime | None = None) -> Principal | None:
        """Who this session belongs to, or None once it ended (unknown, expired, signed out, token revoked)."""
        now = now or utcnow()
        with Session(self.engine) as session:
            found = session.exec(
                select(WebSession, ApiToken)
                .join(ApiToken, col(ApiToken.id) == WebSession.token_id)
                .where(WebSession.secret_hash == hash_token(secret))
            ).first()
            if found is None:
                return None
            kept, token = found
            if token.revoked_at is not None or self._expired(kept, now):
                return None
            if now - kept.last_seen_at >= self.touch:
                session.exec(update(WebSession).where(col(WebSession.id) == kept.id).values(last_seen_at=now))
                session.commit()
            return Principal(token_id=stored_id(token.id), name=token.name, role=Role(token.role), state=token.state)

    def end(self, secret: str) -> None:
        """Sign out: the session's row goes, so its cookie, wherever copied, signs nobody in again."""
        with Session(self.engine) as session:
            session.exec(delete(WebSession).where(col(WebSession.secret_hash) == hash_token(secret)))
            session.commit()

    def _expired(self, kept: WebSession, now: datetime) -> bool:
        return now - kept.last_seen_at >= self.idle or now - kept.created_at >= self.lifetime

    def _purge(self, session: Session, now: datetime) -> None:
        session.exec(
            delete(WebSession).where(
                or_(col(WebSession.last_seen_at) <= now - self.idle, col(WebSession.created_at) <= now - self.lifetime)
            )
        )
