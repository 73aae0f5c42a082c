"""The planners' web pages (server-rendered), mounted on the API app under /ui."""

from collections.abc import Awaitable, Callable
from typing import Any, cast

from fastapi import FastAPI, Request, Response
from fastapi.responses import RedirectResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.gzip import GZipMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

from service.platform.errors import NotFound, RosterError
from service.web import assets, render
from service.web.session import SignInRequired

render.templates.env.globals["static"] = assets.static_url


def _is_page(request: Request) -> bool:
    return request.url.path == "/ui" or request.url.path.startswith("/ui/")


class PagesGzip:
    """The pages' HTML (a plan's review, the offers page: 100 to 200 KB) gzipped when the browser takes it; the
    API's answers, the static files (gzipped once, web.assets) and the progress stream are left as they are."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.gzip = GZipMiddleware(app, minimum_size=1024, compresslevel=6)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        pages = (path == "/ui" or path.startswith("/ui/")) and not path.startswith("/ui/static/")
        await (self.gzip if pages else self.app)(scope, receive, send)


Handler = Callable[[Request, Any], Awaitable[Any]]


def _html_errors(app: FastAPI) -> None:
    """Errors under /ui answer an HTML page; the API keeps its JSON answers."""
    # the API's handlers (platform.errors) are coroutines
    api_roster = cast(Handler, app.exception_handlers[RosterError])
    api_http = cast(Handler, app.exception_handlers[StarletteHTTPException])

    async def roster_error(request: Request, exc: RosterError):
        if not _is_page(request):
            return await api_roster(request, exc)
        return render.error_page(request, exc.status_code, exc.detail)

    async def http_error(request: Request, exc: StarletteHTTPException):
        if not _is_page(request):
            return await api_http(request, exc)
        return render.error_page(request, exc.status_code, exc.detail)

    async def sign_in(request: Request, _: SignInRequired):
        return RedirectResponse("/ui/signin?" + render.query(next=request.url.path), status_code=303)

    app.add_exception_handler(RosterError, roster_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(SignInRequired, sign_in)


def install(app: FastAPI) -> None:
    """Add the pages and their static files to ``app``."""
    from service.web import calls, deployments, downloads, experts, gaps, offer_form, offers, plans, requests, signin

    @app.api_route("/", methods=["GET", "HEAD"], include_in_schema=False)
    def home() -> RedirectResponse:
        return RedirectResponse("/ui", status_code=307)

    @app.api_route("/ui/static/{name:path}", methods=["GET", "HEAD"], include_in_schema=False)
    def static(request: Request, name: str) -> Response:
        """A static file of the pages (see web.assets: gzipped, ETag, a year's cache behind a versioned URL)."""
        answer = assets.response(request, name)
        if answer is None:
            raise NotFound(f"no static file {name}")
        return answer

    # offer_form before offers: its /ui/offers/new is not an offer's id
    # downloads before plans and deployments: /ui/deployments/export is not a deployment's id
    for module in (signin, downloads, requests, plans, deployments, gaps, offer_form, offers, experts, calls):
        app.include_router(module.router, include_in_schema=False)
    app.add_middleware(PagesGzip)
    _html_errors(app)
