"""Annotated dependencies: the database session, the caller, one alias per role check."""

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlmodel import Session

from schemas.enums import Role
from service.auth import Principal, authenticate
from service.errors import Forbidden, TooManyRequests, Unauthorized

bearer = HTTPBearer(auto_error=False, description="an API token from `roster token create`")


def get_session(request: Request) -> Iterator[Session]:
    with Session(request.app.state.engine, expire_on_commit=False) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


def current_principal(
    request: Request,
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal:
    challenge = {"WWW-Authenticate": "Bearer"}
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthorized("send 'Authorization: Bearer <token>'; create one with `roster token create`", challenge)
    return sign_in(request, session, credentials.credentials)


def sign_in(request: Request, session: Session, secret: str) -> Principal:
    """The token's principal; 401 for a bad token, 429 after too many bad tokens from one client."""
    limiter, client = request.app.state.failed_sign_ins, request.client.host if request.client else "unknown"
    if wait := limiter.retry_after(client):
        raise TooManyRequests(f"too many failed sign-ins from this client: retry in {wait} s",
                              {"Retry-After": str(wait)})
    principal = authenticate(session, secret)
    session.rollback()  # authentication reads only; release the connection's snapshot
    if principal is None:
        limiter.failed(client)
        raise Unauthorized("the token is unknown or revoked; ask an admin for a new one",
                           {"WWW-Authenticate": "Bearer"})
    return principal


CurrentUser = Annotated[Principal, Depends(current_principal)]


def require(*roles: Role):
    allowed = ", ".join(r.value for r in roles)

    def check(principal: CurrentUser) -> Principal:
        if principal.role not in roles:
            raise Forbidden(f"role {principal.role.value} may not do this; it needs one of: {allowed}")
        return principal

    return check


AdminUser = Annotated[Principal, Depends(require(Role.admin))]
HqUser = Annotated[Principal, Depends(require(Role.hq))]
PlannerUser = Annotated[Principal, Depends(require(Role.planner))]
ContributorUser = Annotated[Principal, Depends(require(Role.hq, Role.member_state))]
StaffUser = Annotated[Principal, Depends(require(Role.admin, Role.hq, Role.planner))]
