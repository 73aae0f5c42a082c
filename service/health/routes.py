"""Routes: liveness, readiness and metrics."""

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy.exc import SQLAlchemyError

from service.health import repository
from service.platform.db import pending_migrations
from service.platform.deps import AdminUser

router = APIRouter(tags=["health"])


def _state(request: Request) -> dict:
    engine = request.app.state.engine
    try:
        repository.ping(engine)
        pending = pending_migrations(engine)
        queued = repository.queued_plans(engine) if pending is None else None
    except SQLAlchemyError:
        return {
            "status": "degraded",
            "database": "unreachable",
            "migrations": "unknown",
            "detail": "the database is unreachable; the service recovers by itself when it returns",
        }
    state = {
        "status": "ok" if pending is None else "degraded",
        "database": "ok",
        "migrations": "current" if pending is None else "pending",
        "worker": {
            "mode": "in-process" if request.app.state.settings.inprocess_worker else "external",
            "queued_plans": queued,
        },
    }
    if pending:
        state["detail"] = pending
    return state


@router.get("/health")
def health(request: Request) -> JSONResponse:
    """Is the service up, its database reachable and current, and how long is the plan queue?"""
    state = _state(request)
    return JSONResponse(state, status_code=200 if state["database"] == "ok" else 503)


@router.get("/health/ready")
def ready(request: Request) -> JSONResponse:
    """Ready for traffic: the database answers and no migration is pending (503 otherwise)."""
    state = _state(request)
    return JSONResponse(state, status_code=200 if state["status"] == "ok" else 503)


@router.get("/metrics", response_class=Response, responses={200: {"content": {CONTENT_TYPE_LATEST: {}}}})
def metrics(request: Request, _: AdminUser) -> Response:
    """Prometheus metrics: requests and latencies of this process, plans and queue from the database."""
    return Response(generate_latest(request.app.state.metrics.registry), media_type=CONTENT_TYPE_LATEST)
