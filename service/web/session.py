"""Who is looking at a page: a server-side session whose random id is in an HttpOnly cookie (never the API
token: see platform/websessions.py), and the CSRF token its forms carry."""

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from starlette.datastructures import FormData

from schemas.enums import Role
from service.platform.auth import Principal
from service.platform.errors import Forbidden
from service.platform.ratelimit import request_scheme

COOKIE = "roster_session"
SIGNIN_COOKIE = "roster_signin"  # double-submit token of the sign-in form, before anyone is signed in
CSRF_FIELD = "csrf"


class SignInRequired(Exception):
    """No valid session cookie: the page answers with a redirect to the sign-in form."""


@dataclass(frozen=True)
class Viewer:
    principal: Principal
    csrf: str

    def can(self, *roles: Role) -> bool:
        return self.principal.role in roles


def csrf_for(secret: str) -> str:
    """The CSRF token of a session: derived from the (HttpOnly, never readable by a script) session id."""
    return hmac.new(secret.encode(), b"roster-ui-csrf", hashlib.sha256).hexdigest()


def new_signin_token() -> str:
    return secrets.token_urlsafe(24)


def cookie_options(request: Request) -> dict:
    secure = request_scheme(request, request.app.state.settings.trusted_proxies) == "https"
    return {"httponly": True, "samesite": "strict", "secure": secure, "path": "/"}


def viewer(request: Request) -> Viewer:
    secret = request.cookies.get(COOKIE)
    principal = request.app.state.web_sessions.principal(secret) if secret else None
    if principal is None:
        raise SignInRequired()
    return Viewer(principal, csrf_for(secret))


CurrentViewer = Annotated[Viewer, Depends(viewer)]


def require(*roles: Role):
    """A page dependency that lets only these roles in, with the API's 403 message."""
    allowed = ", ".join(r.value for r in roles)

    def check(v: CurrentViewer) -> Viewer:
        if not v.can(*roles):
            raise Forbidden(f"role {v.principal.role.value} may not do this; it needs one of: {allowed}")
        return v

    return check


StaffViewer = Annotated[Viewer, Depends(require(Role.admin, Role.hq, Role.planner))]
PlannerViewer = Annotated[Viewer, Depends(require(Role.planner))]
HqViewer = Annotated[Viewer, Depends(require(Role.hq))]
DeciderViewer = Annotated[Viewer, Depends(require(Role.hq, Role.admin))]
ContributorViewer = Annotated[Viewer, Depends(require(Role.hq, Role.member_state))]


async def checked_form(request: Request) -> FormData:
    """The posted form, once its CSRF field matches the session's; 403 otherwise."""
    form = await request.form()
    secret = request.cookies.get(COOKIE, "")
    sent = str(form.get(CSRF_FIELD, ""))
    if not secret or not hmac.compare_digest(sent, csrf_for(secret)):
        raise Forbidden("the form's CSRF token is missing or stale: reload the page and try again")
    return form


PostedForm = Annotated[FormData, Depends(checked_form)]
