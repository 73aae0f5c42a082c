"""Jinja2 templates and the small helpers they share."""

from datetime import date
from pathlib import Path
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates

from schemas.enums import Role
from service.platform.middleware import content_security_policy
from service.web.session import Viewer

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=HERE / "templates")

CHART_POLICY = content_security_policy(inline_styles=True)
NAV = [
    ("Requests", "/ui/requests", None),
    ("Plans", "/ui/plans", (Role.admin, Role.hq, Role.planner)),
    ("Deployments", "/ui/deployments", None),
    ("Gaps", "/ui/gaps", None),
    ("Offers", "/ui/offers", None),
    ("Calls", "/ui/calls", None),
]


def words(value: object) -> str:
    """An enum value in plain words: partly_filled -> partly filled."""
    return str(getattr(value, "value", value) or "").replace("_", " ")


def plural(n: int, noun: str, many: str | None = None) -> str:
    """A count with its noun: ``plural(1, "seat")`` → "1 seat", ``plural(2, "seat")`` → "2 seats"; ``many`` for
    an irregular plural (``plural(2, "is", "are")`` → "2 are")."""
    return f"{n} {noun if n == 1 else many or noun + 's'}"


def query(**params) -> str:
    return urlencode({k: v for k, v in params.items() if v not in (None, "")})


templates.env.filters["words"] = words
templates.env.filters["plural"] = plural
templates.env.globals["query"] = query


def page(
    request: Request, name: str, viewer: Viewer | None, status_code: int = 200, charts: bool = False, **context
) -> HTMLResponse:
    """A page; one with ``charts`` (plotly) lets plotly style inline (see platform.middleware)."""
    nav = [(label, href) for label, href, roles in NAV if viewer and (roles is None or viewer.can(*roles))]
    headers = {"Content-Security-Policy": CHART_POLICY} if charts else None
    return templates.TemplateResponse(
        request,
        name,
        {
            "viewer": viewer,
            "nav": nav,
            "notice": request.query_params.get("notice"),
            "problem": request.query_params.get("problem"),
            "today": date.today(),
            **context,
        },
        status_code=status_code,
        headers=headers,
    )


def redirect(url: str, notice: str | None = None, *, problem: str | None = None) -> RedirectResponse:
    """See ``url`` next, with a ``notice`` of what was done, or a ``problem``: why nothing was (never shown as
    a success)."""
    shown = {k: v for k, v in {"notice": notice, "problem": problem}.items() if v}
    if shown:
        url += ("&" if "?" in url else "?") + urlencode(shown)
    return RedirectResponse(url, status_code=303)


def messages(detail: object) -> list[str]:
    """An error's detail (a sentence, or the API's list of {field, message}) as sentences."""
    if isinstance(detail, list):
        return [f"{d['field']}: {d['message']}" if isinstance(d, dict) else str(d) for d in detail]
    return [str(detail)]


def error_page(request: Request, status_code: int, detail: object) -> HTMLResponse:
    titles = {401: "Sign in needed", 403: "Not allowed", 404: "Not found", 409: "Conflict"}
    return page(
        request,
        "error.html",
        None,
        status_code=status_code,
        title=titles.get(status_code, "Something went wrong"),
        messages=messages(detail),
    )
