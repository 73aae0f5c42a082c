"""Security checks: sign-in throttling, headers, CORS, tokens kept secret."""

import logging
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from schemas.enums import Role
from service.app import create_app
from service.platform.auth import Principal, authenticate, hash_token, issue_token
from service.platform.ratelimit import SignInThrottle
from service.platform.settings import Settings
from service.platform.tables import WebSession
from service.platform.websessions import WebSessions


def _guess(client, headers=None):
    return client.get("/experts", headers={"Authorization": "Bearer rst_guess"} | (headers or {}))


def test_repeated_bad_tokens_are_refused_for_a_while_but_good_ones_never(client, auth):
    good = auth("hq")
    for _ in range(10):
        assert _guess(client).status_code == 401
    refused = _guess(client)
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) > 0
    assert "too many failed sign-ins" in refused.json()["detail"]
    assert client.get("/experts", headers=good).status_code == 200  # one office, one address: colleagues go on
    assert client.get("/health").status_code == 200


def test_missing_tokens_do_not_count_as_guesses(client, auth):
    for _ in range(20):
        assert client.get("/experts").status_code == 401
    assert client.get("/experts", headers=auth("hq")).status_code == 200


def test_every_process_shares_the_count(db_url, client):
    """Guesses spread over two server processes (two apps on one database) add up; a restart forgets nothing."""
    other = create_app(Settings(database_url=db_url, worker="external"))
    with TestClient(other) as second:
        for i in range(10):
            assert _guess(client if i % 2 else second).status_code == 401
        assert _guess(second).status_code == 429
    other.state.engine.dispose()
    restarted = create_app(Settings(database_url=db_url, worker="external"))
    with TestClient(restarted) as third:
        assert _guess(third).status_code == 429
    restarted.state.engine.dispose()


def test_forwarded_for_is_believed_only_from_trusted_proxies(db_url):
    app = create_app(Settings(database_url=db_url, worker="external", trusted_proxies=["10.0.0.0/24"]))
    with TestClient(app, client=("203.0.113.7", 4000)) as direct:  # not a proxy: its header is a forgery
        for i in range(10):
            assert _guess(direct, {"X-Forwarded-For": f"198.51.100.{i}"}).status_code == 401
        assert _guess(direct, {"X-Forwarded-For": "198.51.100.99"}).status_code == 429
    with TestClient(app, client=("10.0.0.2", 4000)) as proxy:  # the proxy: each client counted apart
        for _ in range(10):
            assert _guess(proxy, {"X-Forwarded-For": "192.0.2.1, 198.51.100.5"}).status_code == 401
        assert _guess(proxy, {"X-Forwarded-For": "198.51.100.5"}).status_code == 429
        assert _guess(proxy, {"X-Forwarded-For": "198.51.100.6"}).status_code == 401
        assert _guess(proxy, {"X-Forwarded-For": "198.51.100.6, 10.0.0.3"}).status_code == 401  # proxies skipped
    app.state.engine.dispose()


def test_trusted_proxies_must_be_addresses():
    with pytest.raises(ValueError, match="not an address or a network"):
        Settings(trusted_proxies=["proxy.example"])


T0 = datetime(2027, 1, 4, 9, tzinfo=UTC)


def _at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def test_the_block_lifts_after_its_time(engine):
    limiter = SignInThrottle(engine, limit=3, window=60, block=300)
    for t in (0, 1, 2):
        limiter.failed("10.0.0.1", now=_at(t))
    assert limiter.retry_after("10.0.0.1", now=_at(3)) > 0
    assert limiter.retry_after("10.0.0.2", now=_at(3)) == 0
    assert limiter.retry_after("10.0.0.1", now=_at(303)) == 0


def test_failures_spread_over_time_are_not_blocked(engine):
    limiter = SignInThrottle(engine, limit=3, window=60, block=300)
    for t in (0, 61, 122, 183):
        limiter.failed("10.0.0.1", now=_at(t))
    assert limiter.retry_after("10.0.0.1", now=_at(184)) == 0


def test_old_failures_are_forgotten(engine):
    from sqlmodel import Session, select

    from service.platform.tables import SignInFailure

    limiter = SignInThrottle(engine, limit=3, window=60, block=300)
    for client in ("10.0.0.1", "10.0.0.2"):
        limiter.failed(client, now=_at(0))
    limiter.failed("10.0.0.3", now=_at(61))
    with Session(engine) as session:
        assert session.exec(select(SignInFailure.client)).all() == ["10.0.0.3"]


def test_security_headers(client, auth):
    for response in (client.get("/health"), client.get("/experts", headers=auth("hq")), client.get("/nowhere")):
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["referrer-policy"] == "no-referrer"
        policy = response.headers["content-security-policy"]
        assert "script-src 'self';" in policy and "frame-ancestors 'none'" in policy and "unsafe" not in policy
        assert "strict-transport-security" not in response.headers  # plain http
    assert client.get("/docs").headers["content-security-policy"] == "frame-ancestors 'none'"


def test_hsts_over_https_only_and_forwarded_proto_only_from_trusted_proxies(db_url):
    app = create_app(Settings(database_url=db_url, worker="external", trusted_proxies=["10.0.0.0/24"]))
    https = {"X-Forwarded-Proto": "https"}
    with TestClient(app, base_url="https://roster.example", client=("203.0.113.7", 4000)) as direct:
        assert direct.get("/health").headers["strict-transport-security"] == "max-age=31536000"
    with TestClient(app, client=("203.0.113.7", 4000)) as forger:  # anyone can write X-Forwarded-Proto
        assert "strict-transport-security" not in forger.get("/health", headers=https).headers
    with TestClient(app, client=("10.0.0.2", 4000)) as proxy:  # TLS ends at the proxy, which says so
        assert proxy.get("/health", headers=https).headers["strict-transport-security"] == "max-age=31536000"
        assert "strict-transport-security" not in proxy.get("/health", headers={"X-Forwarded-Proto": "http"}).headers
        form = proxy.get("/ui/signin", headers=https)
        assert "Secure" in form.headers["set-cookie"]  # the cookies follow the same scheme
    app.state.engine.dispose()


def test_cors_is_closed_unless_configured(client, db_url):
    preflight = {"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"}
    closed = client.options("/experts", headers=preflight)
    assert "access-control-allow-origin" not in closed.headers
    app = create_app(Settings(database_url=db_url, worker="external", cors_origins=["https://hq.un.example"]))
    with TestClient(app) as open_client:
        allowed = open_client.options("/experts", headers=preflight | {"Origin": "https://hq.un.example"})
        assert allowed.headers["access-control-allow-origin"] == "https://hq.un.example"
        other = open_client.options("/experts", headers=preflight)
        assert "access-control-allow-origin" not in other.headers
    app.state.engine.dispose()


def test_tokens_never_reach_the_logs(client, auth, caplog):
    secret = auth("hq")["Authorization"].removeprefix("Bearer ")
    with caplog.at_level(logging.DEBUG):
        client.get("/experts", headers=auth("hq"))
        client.get("/experts", headers={"Authorization": "Bearer rst_wrong-one"})
        client.post("/tokens", json={"role": "planner", "name": "x"}, headers=auth("admin"))
    logged = "\n".join(f"{r.getMessage()} {vars(r)}" for r in caplog.records)
    assert secret not in logged and "rst_wrong-one" not in logged


def test_the_web_sign_in_form_is_throttled_like_the_api(client, auth):
    def attempt(secret: str):
        form = client.get("/ui/signin")
        csrf = form.text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
        return client.post("/ui/signin", data={"token": secret, "csrf": csrf}, follow_redirects=False)

    for _ in range(10):
        assert attempt("rst_guess").status_code == 401
    refused = attempt("rst_guess")
    assert refused.status_code == 429 and "Too many failed sign-ins" in refused.text
    assert client.get("/experts", headers={"Authorization": "Bearer rst_guess"}).status_code == 429


def test_answers_with_secrets_are_never_stored_for_replay(client, auth, engine):
    """A token (or webhook secret) is shown once: the Idempotency-Key store must not keep a copy."""
    from sqlmodel import Session, select

    from service.platform.tables import IdempotencyRecord

    admin = auth("admin") | {"Idempotency-Key": "same-key"}
    first = client.post("/tokens", json={"role": "planner", "name": "a"}, headers=admin)
    second = client.post("/tokens", json={"role": "planner", "name": "a"}, headers=admin)
    assert first.status_code == second.status_code == 201
    assert "idempotent-replayed" not in second.headers and first.json()["token"] != second.json()["token"]
    hook = client.post(
        "/subscriptions", json={"url": "https://example.org/h"}, headers=auth("hq") | {"Idempotency-Key": "k"}
    )
    assert hook.status_code == 201
    with Session(engine) as session:
        stored = " ".join(r.response_body or "" for r in session.exec(select(IdempotencyRecord)).all())
    assert first.json()["token"] not in stored and hook.json()["secret"] not in stored


def _web_sessions(engine) -> tuple[WebSessions, Principal]:
    with Session(engine) as session:
        _, secret = issue_token(session, role=Role.hq, name="browser")
        session.commit()
        principal = authenticate(session, secret)
    assert principal is not None
    return WebSessions(engine, idle_seconds=3600, lifetime_seconds=8 * 3600), principal


def test_a_browser_session_ends_after_an_idle_hour(engine):
    sessions, principal = _web_sessions(engine)
    cookie = sessions.start(principal, now=_at(0))
    assert sessions.principal(cookie, now=_at(3599)) == principal  # used: the idle hour starts again
    assert sessions.principal(cookie, now=_at(3599 + 3599)) == principal
    assert sessions.principal(cookie, now=_at(3599 + 3599 + 3600)) is None


def test_a_browser_session_ends_when_old_however_busy(engine):
    sessions, principal = _web_sessions(engine)
    cookie = sessions.start(principal, now=_at(0))
    for minute in range(0, 8 * 60, 30):
        assert sessions.principal(cookie, now=_at(60 * minute)) == principal
    assert sessions.principal(cookie, now=_at(8 * 3600)) is None


def test_expired_browser_sessions_are_deleted_at_sign_in(engine):
    sessions, principal = _web_sessions(engine)
    idle, old = sessions.start(principal, now=_at(0)), sessions.start(principal, now=_at(0))
    for minute in range(0, 8 * 60, 30):
        sessions.principal(old, now=_at(60 * minute))
    fresh = sessions.start(principal, now=_at(7.5 * 3600))
    sessions.start(principal, now=_at(8 * 3600))
    with Session(engine) as session:
        kept = set(session.exec(select(WebSession.secret_hash)).all())
    assert hash_token(fresh) in kept and not kept & {hash_token(idle), hash_token(old)} and len(kept) == 2
