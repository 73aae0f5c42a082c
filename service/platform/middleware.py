"""ASGI middleware: body size limit, Idempotency-Key replays, security headers (CSP, HSTS)."""

import hashlib
import json
import logging
from collections.abc import Sequence
from datetime import UTC, timedelta

import anyio
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import Session, col, select
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.platform.auth import authenticate, bearer_secret, hash_token, recent_tokens
from service.platform.ratelimit import request_scheme
from service.platform.tables import IdempotencyRecord, utcnow

logger = logging.getLogger("roster")
DATABASE_DOWN = {"error": "service_unavailable", "detail": "the database is unreachable; try again shortly"}
# Answers that carry a secret shown once (a token, a webhook secret) are never stored for replay.
NEVER_REPLAYED = ("/tokens", "/subscriptions")

SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cache-control", b"no-store"),
]


def content_security_policy(inline_styles: bool = False) -> str:
    """Scripts only from our own files: no inline <script>, no onclick=, no eval. Charts take their data from
    <script type="application/json"> blocks, which are data, not scripts. Pages are never framed.

    ``inline_styles`` is for the chart pages only: plotly writes <style> elements and style attributes while
    it draws (Chromium refuses both under style-src 'self'). A style runs no code, and user text reaches no
    page as markup anyway (Jinja escapes it, static/charts.js escapes it for plotly).
    """
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self' 'unsafe-inline'" if inline_styles else "style-src 'self'",
            "img-src 'self' data:",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


CONTENT_SECURITY_POLICY = content_security_policy().encode()
# FastAPI's /docs and /redoc load their scripts from a CDN and start them inline; they show no user text.
DOCS = ("/docs", "/redoc")
DOCS_POLICY = b"frame-ancestors 'none'"
# A year; no includeSubDomains: the service does not own its neighbours on the domain.
STRICT_TRANSPORT_SECURITY = (b"strict-transport-security", b"max-age=31536000")


async def _send_json(send: Send, status: int, body: dict, extra: Sequence[tuple[bytes, bytes]] = ()) -> None:
    payload = json.dumps(body).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode()), *extra]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})


async def _read_body(receive: Receive, limit: int) -> bytes | None:
    """The whole body, or None if it exceeds the limit."""
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay(body: bytes) -> Receive:
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return receive


class BodyLimitAndIdempotency:
    """Refuse bodies over ``max_bytes`` with 413; replay POSTs that carry a known Idempotency-Key."""

    def __init__(self, app: ASGIApp, state, max_bytes: int, max_import_bytes: int | None = None) -> None:
        self.app, self.state, self.max_bytes = app, state, max_bytes
        self.max_import_bytes = max_import_bytes or max_bytes

    def limit(self, path: str) -> int:
        """Spreadsheet uploads may be larger than other bodies."""
        return self.max_import_bytes if path.endswith("/import") else self.max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS", "DELETE"):
            return await self.app(scope, receive, send)
        headers = Headers(scope=scope)
        limit = self.limit(scope["path"])
        too_big = {"error": "payload_too_large", "detail": f"the body exceeds {limit} bytes: send less"}
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            return await _send_json(send, 413, too_big)
        body = await _read_body(receive, limit)
        if body is None:
            return await _send_json(send, 413, too_big)
        key = headers.get("idempotency-key")
        authorization = headers.get("authorization", "")
        if scope["method"] != "POST" or not key or not authorization or scope["path"] in NEVER_REPLAYED:
            return await self.app(scope, _replay(body), send)
        try:
            valid = await self._valid_token(authorization)
        except OperationalError:
            return await _send_json(send, 503, DATABASE_DOWN, [(b"retry-after", b"5")])
        if not valid:  # the app answers 401 (and counts the failure); nothing is claimed or replayed
            return await self.app(scope, _replay(body), send)
        await self._idempotent(scope, body, key, hash_token(authorization), send)

    async def _valid_token(self, authorization: str) -> bool:
        """Whether the header holds a valid token: a stored answer is replayed only to the caller it was given to,
        and only while that caller may still sign in (a revoked token gets 401, not the stored record)."""
        if (secret := bearer_secret(authorization)) is None:
            return False
        seconds = self.state.settings.token_cache_seconds
        if recent_tokens.get(hash_token(secret), seconds) is not None:
            return True

        def look_up() -> bool:
            with Session(self.state.engine) as session:
                return authenticate(session, secret, seconds) is not None

        return await anyio.to_thread.run_sync(look_up)

    async def _idempotent(self, scope: Scope, body: bytes, key: str, token_hash: str, send: Send) -> None:
        if len(key) > 200:
            return await _send_json(
                send, 400, {"error": "bad_request", "detail": "Idempotency-Key is over 200 characters"}
            )
        fingerprint = hashlib.sha256(scope["method"].encode() + scope["path"].encode() + b"\0" + body).hexdigest()
        try:
            claim = await anyio.to_thread.run_sync(self._claim, token_hash, key, scope, fingerprint)
        except OperationalError:  # outside the app's exception handlers: answer as they would
            return await _send_json(send, 503, DATABASE_DOWN, [(b"retry-after", b"5")])
        if claim is not None:
            status, payload, content_type = claim
            extra = [(b"idempotent-replayed", b"true")]
            if content_type is None:
                return await _send_json(send, status, json.loads(payload), extra)
            headers = [
                (b"content-type", content_type.encode()),
                (b"content-length", str(len(payload)).encode()),
                *extra,
            ]
            await send({"type": "http.response.start", "status": status, "headers": headers})
            return await send({"type": "http.response.body", "body": payload.encode()})
        scope.setdefault("state", {})["idempotency"] = (token_hash, key)
        captured: dict = {"status": 500, "body": b"", "content_type": "application/json"}

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                captured["status"] = message["status"]
                captured["content_type"] = Headers(raw=message["headers"]).get("content-type")
            elif message["type"] == "http.response.body":
                captured["body"] += message.get("body", b"")
            await send(message)

        try:
            await self.app(scope, _replay(body), capture)
        finally:
            try:
                await anyio.to_thread.run_sync(self._settle, token_hash, key, captured)
            except OperationalError:  # the answer went out; the claim stays pending until it goes stale
                logger.warning("could not settle an Idempotency-Key: the database is unreachable")

    def _claim(self, token_hash: str, key: str, scope: Scope, fingerprint: str):
        """Reserve the key, or return (status, body, content type) of what to answer instead."""
        with Session(self.state.engine) as session:
            record = IdempotencyRecord(
                token_hash=token_hash, key=key, method=scope["method"], path=scope["path"], body_hash=fingerprint
            )
            session.add(record)
            try:
                session.commit()
                return None
            except IntegrityError:
                session.rollback()
            stored = session.exec(
                select(IdempotencyRecord).where(
                    IdempotencyRecord.token_hash == token_hash, IdempotencyRecord.key == key
                )
            ).one()
            kept = timedelta(hours=self.state.settings.idempotency_keep_hours)
            if _age(stored) >= kept:  # expired: the key is free again, as if never used
                if self._claim_again(session, stored, scope, fingerprint):
                    return None
                return 409, json.dumps({"error": "conflict", "detail": _IN_PROGRESS.format(key=key)}), None
            if stored.body_hash != fingerprint:
                detail = f"Idempotency-Key {key!r} was already used for a different request: use a new key"
                return 422, json.dumps({"error": "idempotency_key_reused", "detail": detail}), None
            if stored.status_code is None:
                stale = timedelta(seconds=self.state.settings.idempotency_pending_seconds)
                if _age(stored) >= stale and self._claim_again(session, stored, scope, fingerprint, pending=True):
                    return None  # a claim pending for longer than a request can take: its process died
                return 409, json.dumps({"error": "conflict", "detail": _IN_PROGRESS.format(key=key)}), None
            return stored.status_code, stored.response_body, stored.content_type

    def _claim_again(
        self, session: Session, stored: IdempotencyRecord, scope: Scope, fingerprint: str, pending: bool = False
    ) -> bool:
        """Take over an expired record, or a stale ``pending`` one (unless it was settled meanwhile), for this
        request; the conditional update lets exactly one of several concurrent retries win."""
        still = [IdempotencyRecord.id == stored.id, IdempotencyRecord.created_at == stored.created_at]
        if pending:
            still.append(col(IdempotencyRecord.status_code).is_(None))
        taken = session.exec(
            update(IdempotencyRecord)
            .where(*still)
            .values(
                created_at=utcnow(),
                method=scope["method"],
                path=scope["path"],
                body_hash=fingerprint,
                status_code=None,
                response_body=None,
                content_type=None,
            )
        ).rowcount
        session.commit()
        return taken == 1

    def _settle(self, token_hash: str, key: str, captured: dict) -> None:
        """Keep successful answers for replay; free the key after a failure so it can be retried."""
        with Session(self.state.engine) as session:
            record = session.exec(
                select(IdempotencyRecord).where(
                    IdempotencyRecord.token_hash == token_hash, IdempotencyRecord.key == key
                )
            ).one_or_none()
            if record is None or record.status_code is not None:
                return  # settled by the route already, in the transaction of its write
            if 200 <= captured["status"] < 300:
                record.status_code = captured["status"]
                record.response_body = captured["body"].decode()
                record.content_type = captured["content_type"]
                session.add(record)
            else:
                session.delete(record)
            session.commit()


_IN_PROGRESS = "a request with Idempotency-Key {key!r} is still in progress: retry in a moment"


def _age(record: IdempotencyRecord) -> timedelta:
    created = record.created_at if record.created_at.tzinfo else record.created_at.replace(tzinfo=UTC)
    return utcnow() - created


class SecurityHeaders:
    """Headers on every answer: no sniffing, no framing, no referrer, no caching unless said, a
    Content-Security-Policy, and HSTS when the caller came over https (told by a trusted proxy, if any)."""

    def __init__(self, app: ASGIApp, trusted_proxies: list[str] | None = None) -> None:
        self.app, self.trusted_proxies = app, trusted_proxies or []

    def headers(self, scope: Scope) -> list[tuple[bytes, bytes]]:
        docs = scope["path"].startswith(DOCS)
        headers = [*SECURITY_HEADERS, (b"content-security-policy", DOCS_POLICY if docs else CONTENT_SECURITY_POLICY)]
        if request_scheme(Request(scope), self.trusted_proxies) == "https":
            headers.append(STRICT_TRANSPORT_SECURITY)
        return headers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        extra = self.headers(scope)

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message["headers"]}
                message["headers"] = list(message["headers"]) + [(n, v) for n, v in extra if n not in present]
            await send(message)

        await self.app(scope, receive, with_headers)
