"""Sign in with an API token, sign out, and the landing page of each role."""

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse

from schemas.enums import Role
from service.platform.deps import SessionDep, sign_in
from service.platform.errors import TooManyRequests, Unauthorized
from service.web import render
from service.web.session import (
    COOKIE,
    SIGNIN_COOKIE,
    CurrentViewer,
    PostedForm,
    cookie_options,
    new_signin_token,
)

router = APIRouter(prefix="/ui")

LANDING = {
    Role.planner: "/ui/plans",
    Role.member_state: "/ui/offers",
    Role.hq: "/ui/requests",
    Role.admin: "/ui/requests",
}


def _safe_next(target: str | None) -> str | None:
    """Only a local page: never another site (an open redirect)."""
    if target and target.startswith("/ui") and not target.startswith("//"):
        return target
    return None


def _form(request: Request, status_code: int = 200, error: str | None = None, next_: str | None = None):
    token = new_signin_token()
    response = render.page(
        request, "signin.html", None, status_code=status_code, error=error, signin_csrf=token, next=_safe_next(next_)
    )
    response.set_cookie(SIGNIN_COOKIE, token, max_age=3600, **cookie_options(request) | {"path": "/ui/signin"})
    return response


@router.get("")
def landing(viewer: CurrentViewer) -> RedirectResponse:
    """Each role starts where its work is."""
    return RedirectResponse(LANDING[viewer.principal.role], status_code=303)


@router.get("/signin")
def signin_form(request: Request, next: str | None = None):
    """The sign-in form."""
    return _form(request, next_=next)


@router.post("/signin")
def signin(request: Request, session: SessionDep, token: str = Form(""), csrf: str = Form(""), next: str = Form("")):
    """Check the token, then start a server-side session: its id (not the token) goes in an HttpOnly cookie."""
    expected = request.cookies.get(SIGNIN_COOKIE)
    if not expected or csrf != expected:
        return _form(request, 403, "The form expired: sign in again.", next)
    if not token.strip():
        return _form(request, 401, "Paste a token: ask an admin for one (roster token create).", next)
    try:
        principal = sign_in(request, session, token.strip())  # the API's check, throttle included
    except TooManyRequests as exc:
        return _form(request, 429, f"Too many failed sign-ins from this computer: {exc.detail}.", next)
    except Unauthorized:
        return _form(
            request, 401, "This token is unknown or revoked: ask an admin for a new one (roster token create).", next
        )
    response = RedirectResponse(_safe_next(next) or LANDING[principal.role], status_code=303)
    started = request.app.state.web_sessions.start(principal, replacing=request.cookies.get(COOKIE))
    response.set_cookie(COOKIE, started, **cookie_options(request))
    response.delete_cookie(SIGNIN_COOKIE, path="/ui/signin")
    return response


@router.post("/signout")
def signout(request: Request, _: PostedForm) -> RedirectResponse:
    """End the session on the server (a copy of the cookie stops working too) and forget the cookie."""
    request.app.state.web_sessions.end(request.cookies.get(COOKIE, ""))
    response = RedirectResponse("/ui/signin", status_code=303)
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict")
    return response
