"""The planners' web pages (server-rendered), mounted on the API app under /ui."""

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, cast

import plotly
from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from service.platform.errors import RosterError
from service.web import render
from service.web.session import SignInRequired

PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
STATIC_CACHE = "public, max-age=3600"


class _Static(StaticFiles):
    async def get_response(self, path, scope):
        response = await super().get_response(path, scope)
        response.headers["Cache-Control"] = STATIC_CACHE
        return response


def _is_page(request: Request) -> bool:
    return request.url.path == "/ui" or request.url.path.startswith("/ui/")


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

    @app.get("/ui/static/plotly.min.js", include_in_schema=False)
    def plotly_js() -> FileResponse:
        return FileResponse(PLOTLY_JS, media_type="text/javascript", headers={"Cache-Control": STATIC_CACHE})

    # offer_form before offers: its /ui/offers/new is not an offer's id
    # downloads before plans and deployments: /ui/deployments/export is not a deployment's id
    for module in (signin, downloads, requests, plans, deployments, gaps, offer_form, offers, experts, calls):
        app.include_router(module.router, include_in_schema=False)
    app.mount("/ui/static", _Static(directory=render.HERE / "static"), name="ui-static")
    _html_errors(app)
