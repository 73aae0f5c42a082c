"""Routes: liveness and readiness, without a token."""

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from service.db import pending_migrations

router = APIRouter(tags=["health"])


def _database_state(request: Request) -> tuple[str, str | None]:
    try:
        with request.app.state.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return "ok", pending_migrations(request.app.state.engine)
    except SQLAlchemyError:
        return "unreachable", None


@router.get("/health")
def health(request: Request) -> JSONResponse:
    """Is the service up and its database reachable and current?"""
    database, pending = _database_state(request)
    body = {"status": "ok" if database == "ok" and not pending else "degraded", "database": database,
            "migrations": "pending" if pending else ("current" if database == "ok" else "unknown")}
    if pending:
        body["detail"] = pending
    return JSONResponse(body, status_code=200 if body["status"] == "ok" else 503)
