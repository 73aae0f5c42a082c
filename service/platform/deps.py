"""Annotated dependencies: the database session, the caller, one alias per role check."""

import logging
from collections.abc import AsyncIterator
from typing import Annotated

import anyio
import anyio.lowlevel
from fastapi import Depends, Request
from fastapi.security import HTTPBearer
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from schemas.enums import Role
from service.platform.auth import Principal, authenticate, bearer_secret, hash_token, recent_tokens
from service.platform.background import detach
from service.platform.errors import Forbidden, TooManyRequests, Unauthorized
from service.platform.ratelimit import client_address

logger = logging.getLogger("roster")
READ_ONLY = ("GET", "HEAD")
_closing = anyio.lowlevel.RunVar[anyio.CapacityLimiter]("closing sessions")


def _closing_limiter() -> anyio.CapacityLimiter:
    """Threads for closing sessions, apart from the routes' threads.

    A route that failed may leave its transaction open, holding locks that the routes now running
    wait for; if its rollback queued behind them for a route thread, none would ever finish.
    """
    try:
        return _closing.get()
    except LookupError:
        _closing.set(limiter := anyio.CapacityLimiter(8))
        return limiter


async def get_session(request: Request) -> AsyncIterator[Session]:
    """A session on the read-only engine for GET and HEAD, on the transactional engine for the rest.

    Made on the event loop (no I/O until first used); closed there too when closing cannot wait on
    the database (autocommit, or never connected), else on a thread kept for closing sessions.
    """
    state = request.app.state
    autocommit = request.method in READ_ONLY and state.read_engine is not state.engine
    session = Session(state.read_engine if autocommit else state.engine, expire_on_commit=False)
    try:
        yield session
    finally:
        if autocommit or not session.in_transaction():
            session.close()
        else:
            await anyio.to_thread.run_sync(session.close, limiter=_closing_limiter())


SessionDep = Annotated[Session, Depends(get_session)]


def write_session(request: Request) -> Session:
    """A session on the transactional engine for a route to open and close itself (``with``), on its own
    thread: no dependency to solve, nothing left to close afterwards. For the busiest writes."""
    return Session(request.app.state.engine, expire_on_commit=False)


class BearerPrincipal(HTTPBearer):
    """The caller, from ``Authorization: Bearer <token>``.

    One dependency that both reads the header and signs in (FastAPI's own ``HTTPBearer`` would be a
    second one to solve on every request); it documents the scheme in OpenAPI all the same.
    """

    async def __call__(self, request: Request) -> Principal:  # type: ignore[override]  # a Principal, not credentials
        secret = bearer_secret(request.headers.get("authorization", ""))
        if secret is None:
            raise Unauthorized(
                "send 'Authorization: Bearer <token>'; create one with `roster token create`",
                {"WWW-Authenticate": "Bearer"},
            )
        seconds, digest = request.app.state.settings.token_cache_seconds, hash_token(secret)
        if principal := recent_tokens.get(digest, seconds):
            if recent_tokens.due(digest, seconds):
                detach(_verify_again(request.app.state.read_engine, secret, digest))
            return principal  # verified moments ago: no database, no worker thread
        return await anyio.to_thread.run_sync(_sign_in_on_read_engine, request, secret)


async def _verify_again(engine: Engine, secret: str, digest: str) -> None:
    """Look a kept token up again, keeping it afresh or forgetting it (revoked, or it could not be checked)."""

    def look_up() -> Principal | None:
        with Session(engine) as session:
            return authenticate(session, secret)

    try:
        principal = await anyio.to_thread.run_sync(look_up)
    except SQLAlchemyError as error:  # the next request signs in as usual, and meets the error there
        logger.warning("could not verify a token again: %s", type(error).__name__)
        principal = None
    if principal is None:
        recent_tokens.forget(digest)
    else:
        recent_tokens.put(digest, principal)


def sign_in(request: Request, session: Session, secret: str) -> Principal:
    """The token's principal; 401 for a bad token, 429 for bad tokens after too many from one client.

    A valid token is never refused: only guesses are counted and throttled.
    """
    principal = authenticate(session, secret, request.app.state.settings.token_cache_seconds)
    session.rollback()  # authentication reads only; release the connection's snapshot
    if principal is not None:
        return principal
    throttle = request.app.state.sign_in_throttle
    client = client_address(request, request.app.state.settings.trusted_proxies)
    if wait := throttle.retry_after(client):
        raise TooManyRequests(
            f"too many failed sign-ins from this client: retry in {wait} s", {"Retry-After": str(wait)}
        )
    throttle.failed(client)
    raise Unauthorized("the token is unknown or revoked; ask an admin for a new one", {"WWW-Authenticate": "Bearer"})


def _sign_in_on_read_engine(request: Request, secret: str) -> Principal:
    """Signs in on a session of its own, so that routes that read on the event loop need none."""
    with Session(request.app.state.read_engine) as session:
        return sign_in(request, session, secret)


current_principal = BearerPrincipal(scheme_name="HTTPBearer", description="an API token from `roster token create`")
CurrentUser = Annotated[Principal, Depends(current_principal)]


def require(*roles: Role):
    allowed = ", ".join(r.value for r in roles)

    async def check(principal: CurrentUser) -> Principal:
        if principal.role not in roles:
            raise Forbidden(f"role {principal.role.value} may not do this; it needs one of: {allowed}")
        return principal

    return check


AdminUser = Annotated[Principal, Depends(require(Role.admin))]
HqUser = Annotated[Principal, Depends(require(Role.hq))]
PlannerUser = Annotated[Principal, Depends(require(Role.planner))]
ContributorUser = Annotated[Principal, Depends(require(Role.hq, Role.member_state))]
DeciderUser = Annotated[Principal, Depends(require(Role.hq, Role.admin))]
MemberStateUser = Annotated[Principal, Depends(require(Role.member_state))]
StaffUser = Annotated[Principal, Depends(require(Role.admin, Role.hq, Role.planner))]
