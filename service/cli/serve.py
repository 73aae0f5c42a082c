"""`roster serve`, `roster worker`, `roster check`."""

from typing import Annotated

import typer

from service.cli.common import app, open_engine, require_current_schema
from service.platform.db import make_engine, pending_migrations
from service.platform.settings import get_settings


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port to listen on")] = 8000,
    workers: Annotated[int, typer.Option(help="server processes")] = 1,
) -> None:
    """Serve the HTTP API (refuses to start on a database behind the migrations)."""
    import uvicorn

    from service.platform.observability import setup_logging

    require_current_schema(open_engine())
    typer.echo(f"Serving on http://{host}:{port}  (API docs: http://{host}:{port}/docs)", err=True)
    setup_logging(get_settings().log_level)
    # proxy_headers off: uvicorn would take X-Forwarded-For from any loopback peer as the client; the
    # service believes it only from ROSTER_TRUSTED_PROXIES (platform/ratelimit.py)
    uvicorn.run(
        "service.app:served_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_config=None,
        access_log=False,
        proxy_headers=False,
    )


@app.command()
def worker(
    once: Annotated[bool, typer.Option("--once", help="run at most one plan, then exit")] = False,
) -> None:
    """Take queued plans and deliver webhooks until stopped (SIGTERM or Ctrl-C); run any number of these."""
    import signal
    import threading

    from service.planning import jobs
    from service.planning import worker as loop
    from service.planning.host import lowest_priority

    settings = get_settings()
    engine = open_engine()
    require_current_schema(engine)
    lowest_priority(own_session=False)
    if once:
        ran = jobs.work_once(engine, loop.worker_id(), settings.worker_lease_seconds)
        typer.echo(f"plan {ran} done" if ran else "no queued plan", err=True)
        return
    from service.platform.observability import setup_logging

    setup_logging(settings.log_level)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    typer.echo(f"worker {loop.worker_id()} waiting for plans", err=True)
    loop.run(
        engine,
        stop,
        lease_seconds=settings.worker_lease_seconds,
        poll_seconds=settings.worker_poll_seconds,
        reminder_days=settings.reminder_days,
        webhook_networks=settings.webhook_allowed_networks,
        keep_answers_hours=settings.idempotency_keep_hours,
    )


@app.command()
def check() -> None:
    """Check the settings, the database connection, the migrations and the reference data.

    Prints one line per check: "ok" or "FAIL: why". Exit codes: 0 all ok; 1 any failed.
    """
    results = _checks()
    for name, problem in results:
        typer.echo(f"{name}: {'ok' if problem is None else 'FAIL: ' + problem}")
    if any(problem is not None for _, problem in results):
        raise typer.Exit(1)


def _checks() -> list[tuple[str, str | None]]:
    from pydantic import ValidationError

    from service.health import repository

    get_settings.cache_clear()
    try:
        settings = get_settings()
    except ValidationError as exc:
        reason = "; ".join(e["msg"].removeprefix("Value error, ") for e in exc.errors())
        return [("settings", reason), ("database", "not checked: fix the settings first")]
    results: list[tuple[str, str | None]] = [("settings", None)]
    engine = make_engine(settings.database_url, connect_timeout=settings.db_connect_timeout)
    try:
        repository.ping(engine)
    except Exception as exc:
        where = settings.database_url.split("@")[-1]
        return [*results, ("database", f"cannot connect to {where}: {str(exc).splitlines()[0]}")]
    results.append(("database", None))
    pending = pending_migrations(engine)
    results.append(("migrations", pending))
    if pending:
        return [*results, ("reference data", "not checked: apply the migrations first")]
    empty = repository.empty_reference_tables(engine)
    results.append(("reference data", f"no {', '.join(empty)}: run `roster seed`" if empty else None))
    engine.dispose()
    return results
