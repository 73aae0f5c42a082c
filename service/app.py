"""The FastAPI application."""

import gc
from contextlib import asynccontextmanager
from functools import partial

import anyio
from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from service import web
from service.accounts import routes as accounts
from service.deployments import routes as deployments
from service.health import routes as health
from service.health.retention import RetentionCollector
from service.nominations import routes as nominations
from service.notifications import outbox
from service.notifications import routes as events
from service.offers import routes as offers
from service.planning import risks
from service.planning import routes as plans
from service.platform import openapi
from service.platform.db import make_engine, pending_migrations, read_engine
from service.platform.errors import install_handlers
from service.platform.middleware import BodyLimitAndIdempotency, SecurityHeaders
from service.platform.observability import Metrics, RequestContext
from service.platform.ratelimit import SignInThrottle
from service.platform.readcache import SharedRead, VersionedCache, read_roster_version
from service.platform.readpool import read_pool
from service.platform.settings import Settings, get_settings
from service.platform.websessions import WebSessions
from service.privacy import retention
from service.privacy import routes as privacy
from service.reference import routes as reference
from service.reports import routes as reports
from service.requests import routes as requests
from service.roster import routes as experts
from service.spreadsheets import routes as imports
from service.spreadsheets.parsing import start_readers

DESCRIPTION = """Roster and deployment matching for UN peace operations.

Every endpoint but `/health` and the docs needs `Authorization: Bearer <token>`;
create a token with `roster token create --role planner --name you`.
Errors answer `{"error": ..., "detail": ...}`; validation errors list each field with the fix.
"""


# FastAPI checks on every request whether OpenTelemetry providers are configured; off, it does not look.
NO_TELEMETRY = {"tracing": False, "metrics": False, "logs": False}


class MigrationsPending(RuntimeError):
    pass


@asynccontextmanager
async def _lifespan(app: FastAPI):
    """On SQLite (or when asked), plans run one at a time in a worker thread of this process."""
    settings = app.state.settings
    # Blocking work (routes, database calls) runs in this many threads: a few overlap the database
    # waits; many more only fight over the interpreter lock and slow every request down.
    anyio.to_thread.current_default_thread_limiter().total_tokens = settings.threads
    # Imports wait on their reader for seconds: they take threads of their own, never the ones reads need.
    app.state.import_threads = anyio.CapacityLimiter(settings.import_threads)
    app.state.read_pool = read_pool(
        app.state.engine.url, size=settings.db_pool_size, timeout=settings.db_connect_timeout
    )  # bound to this event loop
    app.state.roster_version = SharedRead(partial(read_roster_version, app.state))  # this loop's too
    if settings.import_in_child:
        await anyio.to_thread.run_sync(start_readers)
    stop = None
    if settings.inprocess_worker:
        from service.planning.worker import start_thread

        thread, stop = start_thread(app.state.engine, settings)
    yield
    if stop is not None:
        stop.set()
        thread.join(timeout=10)
    if app.state.read_pool is not None:
        await app.state.read_pool.close()
        app.state.read_pool = None
    if app.state.read_engine is not app.state.engine:
        app.state.read_engine.dispose()


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    risks.install()
    outbox.install()
    retention.install()
    engine = make_engine(
        settings.database_url, pool_size=settings.db_pool_size, connect_timeout=settings.db_connect_timeout
    )
    if settings.check_migrations:
        message = pending_migrations(engine)
        if message:
            raise MigrationsPending(message)
    app = FastAPI(
        title="Roster and deployment matching",
        version="0.1.0",
        description=DESCRIPTION,
        lifespan=_lifespan,
        telemetry=None if settings.opentelemetry else NO_TELEMETRY,
    )
    app.state.engine = engine
    app.state.read_engine = read_engine(
        engine, pool_size=settings.db_pool_size, connect_timeout=settings.db_connect_timeout
    )
    app.state.roster_cache = VersionedCache()
    app.state.import_threads = None  # the default threads until the lifespan makes the imports' own
    app.state.read_pool = app.state.roster_version = None  # made by the lifespan, on the event loop that will use them
    app.state.settings = settings
    app.state.metrics = Metrics(engine)
    app.state.metrics.registry.register(RetentionCollector(engine))
    app.state.sign_in_throttle = SignInThrottle(engine)
    app.state.web_sessions = WebSessions(engine, settings.session_idle_seconds, settings.session_lifetime_seconds)
    install_handlers(app)
    # Each request tries the routes in this order: the busiest first (every router passed costs a little).
    # imports before deployments: GET /deployments/export must not reach /deployments/{deployment_id}.
    for module in (
        experts,
        offers,
        requests,
        plans,
        imports,
        deployments,
        nominations,
        reference,
        events,
        reports,
        accounts,
        privacy,
        health,
    ):
        app.include_router(module.router)
    web.install(app)
    openapi.install(app)
    app.add_middleware(
        BodyLimitAndIdempotency,
        state=app.state,
        max_bytes=settings.max_body_bytes,
        max_import_bytes=settings.max_import_bytes,
    )
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware, allow_origins=settings.cors_origins, allow_methods=["*"], allow_headers=["*"]
        )
    app.add_middleware(SecurityHeaders, trusted_proxies=settings.trusted_proxies)
    app.add_middleware(RequestContext, metrics=app.state.metrics)
    return app


def served_app() -> FastAPI:
    """The app as ``roster serve`` runs it, once in each server process."""
    app = create_app()
    # What exists now (modules, routes, schemas) lives as long as the process: keep it out of the
    # collector's full passes. Otherwise each pass scans ~200,000 objects and stops every request in
    # flight for 100-200 ms (measured under load: GET /experts/{id} p99 155 ms, 30 ms frozen).
    gc.collect()
    gc.freeze()
    return app
