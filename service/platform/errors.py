"""Domain errors carry their HTTP status; one handler renders them as ``{error, detail}``."""

import logging
import time
from collections.abc import Callable

import psycopg
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, IntegrityError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

logger = logging.getLogger("roster")
JSON = "application/json"
ASKED = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")  # the methods a 405's Allow may name
FASTAPI_UNREADABLE_BODY = "There was an error parsing the body"  # fastapi.routing's words for a body it cannot read


class RosterError(Exception):
    status_code = 400
    error = "bad_request"

    def __init__(
        self, detail: str | list | dict, headers: dict[str, str] | None = None, *, more: dict | None = None
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.headers = headers
        self.more = more or {}  # keys of the body beside error and detail, for a client to act on


class Unauthorized(RosterError):
    status_code = 401
    error = "unauthorized"


class Forbidden(RosterError):
    status_code = 403
    error = "forbidden"


class NotFound(RosterError):
    status_code = 404
    error = "not_found"


class Conflict(RosterError):
    status_code = 409
    error = "conflict"


class PreconditionFailed(RosterError):
    status_code = 412
    error = "precondition_failed"


class TooManyRequests(RosterError):
    status_code = 429
    error = "too_many_requests"


class PayloadTooLarge(RosterError):
    status_code = 413
    error = "payload_too_large"


class Invalid(RosterError):
    """Payload that is well-formed but names things that do not exist or break a rule."""

    status_code = 422
    error = "validation_error"
    detail: list[dict[str, str]]

    def __init__(self, field: str, message: str) -> None:
        super().__init__([{"field": field, "message": message}])


class Unavailable(RosterError):
    status_code = 503
    error = "service_unavailable"


def not_found(entity: str, ident: object) -> NotFound:
    return NotFound(f"{entity} {ident} not found")


def _body(error: str, detail: object) -> dict:
    return {"error": error, "detail": detail}


def _unreadable_body(request: Request) -> JSONResponse:
    """FastAPI answers a bare 400 when it cannot read a body at all (bytes that are not UTF-8, a broken
    multipart form): answered as the other unusable bodies are, a 422 on the field ``body``."""
    sent = request.headers.get("content-type", "no Content-Type")
    if sent.startswith("multipart/"):
        message = "the body is not a readable multipart form: send the file as the form field `file`"
    else:
        message = f"the body is not JSON (sent as {sent}): send a JSON document with Content-Type: {JSON}"
    return JSONResponse(_body("validation_error", [{"field": "body", "message": message}]), 422)


def _allowed(request: Request) -> str:
    """Every method some route at this path takes (Starlette names only the first route's): each asked in turn."""
    routes = request.app.router.routes
    allowed = [
        method
        for method in ASKED
        if any(route.matches({**request.scope, "method": method})[0] == Match.FULL for route in routes)
    ]
    return ", ".join(allowed)


def _field_path(loc: tuple) -> str:
    parts = [str(p) for p in loc if p not in ("body",)]
    return ".".join(parts) or "body"


def _validation_detail(exc: RequestValidationError) -> list[dict]:
    detail = []
    for err in exc.errors():
        if err.get("type") == "json_invalid":
            problem = err.get("ctx", {}).get("error", "cannot parse the body")
            message = f"malformed JSON: {problem}; send a valid JSON document"
            detail.append({"field": "body", "message": message})
            continue
        message = err.get("msg", "invalid value").removeprefix("Value error, ")
        if tuple(err.get("loc", ())) == ("body",) and err.get("type") in ("model_attributes_type", "dict_type"):
            message = f"the body must be a JSON object sent with Content-Type: {JSON}"
        elif err.get("type") == "extra_forbidden":
            message = "unknown field: remove it or check its spelling"
        elif err.get("type") == "missing":
            message = "field required: add it"
        detail.append({"field": _field_path(tuple(err.get("loc", ()))), "message": message})
    return detail


class Sparse:
    """Warnings at most one every ``seconds``; the next one kept says how many were left out."""

    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds, self._clock, self._next, self._left_out = seconds, clock, float("-inf"), 0

    def warning(self, message: str, *args: object) -> None:
        now = self._clock()
        if now < self._next:
            self._left_out += 1
            return
        if self._left_out:
            message += f" ({self._left_out} more like it since the last line)"
        logger.warning(message, *args)
        self._next, self._left_out = now + self.seconds, 0


def install_handlers(app: FastAPI) -> None:
    @app.exception_handler(RosterError)
    async def roster_error(_: Request, exc: RosterError) -> JSONResponse:
        return JSONResponse(_body(exc.error, exc.detail) | exc.more, exc.status_code, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse(_body("validation_error", _validation_detail(exc)), 422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 400 and exc.detail == FASTAPI_UNREADABLE_BODY:
            return _unreadable_body(request)
        headers = getattr(exc, "headers", None)
        if exc.status_code == 405:
            allowed = _allowed(request)
            headers = (headers or {}) | {"Allow": allowed}
            detail = f"{request.method} is not allowed on {request.url.path}: use {allowed}"
            return JSONResponse(_body("method_not_allowed", detail), 405, headers=headers)
        if exc.status_code == 404 and exc.detail == "Not Found":  # Starlette's: no route has this path
            detail = f"no such path: {request.url.path}; the API's paths are listed at /docs (ids are whole numbers)"
            return JSONResponse(_body("not_found", detail), 404, headers=headers)
        return JSONResponse(_body("http_error", exc.detail), exc.status_code, headers=headers)

    async def integrity_error(_: Request, exc: Exception) -> JSONResponse:
        return JSONResponse(
            _body("conflict", "the change conflicts with data already stored (a duplicate or a reference in use)"),
            409,
        )

    for conflict in (IntegrityError, psycopg.IntegrityError):  # psycopg's own: writes made on the event loop
        app.add_exception_handler(conflict, integrity_error)

    async def data_error(_: Request, exc: Exception) -> JSONResponse:
        detail = [
            {
                "field": "body",
                "message": "a value cannot be stored (out of range or containing a NUL character): fix it",
            }
        ]
        return JSONResponse(_body("validation_error", detail), 422)

    for bad_value in (DataError, psycopg.DataError):  # psycopg's own: reads made on the event loop
        app.add_exception_handler(bad_value, data_error)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        logger.exception("unhandled error on %s %s", request.method, request.url.path)
        return JSONResponse(_body("internal_error", "an unexpected error occurred; it has been logged"), 500)

    outages = Sparse(seconds=10)  # while the database is down, every request fails: a line for each would flood

    async def database_down(request: Request, exc: Exception) -> JSONResponse:
        cause = getattr(exc, "orig", exc)  # SQLAlchemy's wraps the driver's
        where = f"{request.method} {request.url.path}"
        if (getattr(cause, "sqlstate", None) or "").startswith("40"):  # a deadlock or serialization failure
            logger.warning("%s: the database undid the transaction (%s), answered 409", where, type(cause).__name__)
            return JSONResponse(
                _body("conflict", "the change met another one made at the same moment and was undone: send it again"),
                409,
                headers={"Retry-After": "1"},
            )
        outages.warning("%s: database unreachable (%s), answered 503", where, type(cause).__name__)
        return JSONResponse(
            _body("service_unavailable", "the database is unreachable; try again shortly"),
            503,
            headers={"Retry-After": "5"},
        )

    # SQLAlchemy's, and psycopg's own from the reads made on the event loop (service/readpool.py)
    for down in (OperationalError, psycopg.OperationalError):
        app.add_exception_handler(down, database_down)
