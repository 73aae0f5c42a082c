"""The `roster` command line: serve, migrate, seed, manage tokens."""

import sys
from typing import Annotated

import typer
from sqlmodel import Session

from schemas.enums import Role
from service.db import make_engine, pending_migrations, upgrade
from service.settings import get_settings

app = typer.Typer(help="Roster and deployment matching service.", no_args_is_help=True,
                  pretty_exceptions_enable=False)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
token_app = typer.Typer(help="API tokens.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(token_app, name="token")


def _engine():
    return make_engine(get_settings().database_url)


def _fail(message: str, code: int = 1) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def _require_current_schema(engine) -> None:
    message = pending_migrations(engine)
    if message:
        _fail(message)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port to listen on")] = 8000,
    workers: Annotated[int, typer.Option(help="server processes")] = 1,
) -> None:
    """Serve the HTTP API (refuses to start on a database behind the migrations)."""
    import uvicorn

    from service.observability import setup_logging

    _require_current_schema(_engine())
    typer.echo(f"Serving on http://{host}:{port}  (API docs: http://{host}:{port}/docs)", err=True)
    setup_logging(get_settings().log_level)
    uvicorn.run("service.app:create_app", factory=True, host=host, port=port, workers=workers,
                log_config=None, access_log=False)


@app.command()
def worker(
    once: Annotated[bool, typer.Option("--once", help="run at most one plan, then exit")] = False,
) -> None:
    """Take queued plans and deliver webhooks until stopped (SIGTERM or Ctrl-C); run any number of these."""
    import signal
    import threading

    from service import worker as loop

    settings = get_settings()
    engine = _engine()
    _require_current_schema(engine)
    if once:
        from service import jobs

        ran = jobs.work_once(engine, loop.worker_id(), settings.worker_lease_seconds)
        typer.echo(f"plan {ran} done" if ran else "no queued plan", err=True)
        return
    from service.observability import setup_logging

    setup_logging(settings.log_level)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    typer.echo(f"worker {loop.worker_id()} waiting for plans", err=True)
    loop.run(engine, stop, lease_seconds=settings.worker_lease_seconds, poll_seconds=settings.worker_poll_seconds,
             reminder_days=settings.reminder_days)


@db_app.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument(help="target revision")] = "head") -> None:
    """Apply the migrations up to REVISION (default: the newest)."""
    url = get_settings().database_url
    upgrade(url, revision)
    typer.echo(f"database at {revision}: {url.split('@')[-1]}", err=True)


@app.command()
def seed(
    demo: Annotated[bool, typer.Option("--demo", help="also load the demo roster, offers and requests")] = False,
    experts: Annotated[int, typer.Option(help="demo experts")] = 400,
) -> None:
    """Load reference data (and with --demo the demo roster); running it twice duplicates nothing."""
    from service.seeding import seed_demo, seed_reference

    engine = _engine()
    _require_current_schema(engine)
    with Session(engine) as session:
        for name, counts in seed_reference(session).items():
            typer.echo(f"{name}: {counts}", err=True)
        if demo:
            for name, counts in seed_demo(session, experts=experts).items():
                typer.echo(f"demo {name}: {counts}", err=True)


@token_app.command("create")
def token_create(
    role: Annotated[Role, typer.Option(help="what the token may do")],
    state: Annotated[str | None, typer.Option(help="ISO3 of the Member State (member_state role only)")] = None,
    name: Annotated[str, typer.Option(help="who or what holds the token")] = "cli",
) -> None:
    """Create a token and print it once, alone on stdout."""
    from service.auth import issue_token
    from service.errors import Invalid

    engine = _engine()
    _require_current_schema(engine)
    with Session(engine) as session:
        try:
            _, secret = issue_token(session, role=role, name=name, state=state.upper() if state else None)
        except Invalid as exc:
            _fail(exc.detail[0]["message"], 2)
        session.commit()
    sys.stdout.write(secret + "\n")


@token_app.command("list")
def token_list() -> None:
    """List tokens (never their secrets)."""
    from sqlmodel import select

    from service.tables import ApiToken

    with Session(_engine()) as session:
        for t in session.exec(select(ApiToken).order_by(ApiToken.id)):
            status = "revoked" if t.revoked_at else "active"
            typer.echo(f"{t.id}\t{t.prefix}…\t{t.role}\t{t.state or '-'}\t{status}\t{t.name}")


@token_app.command("revoke")
def token_revoke(token_id: Annotated[int, typer.Argument(help="id from `roster token list`")]) -> None:
    """Revoke a token at once."""
    from service.auth import revoke

    with Session(_engine()) as session:
        if revoke(session, token_id) is None:
            _fail(f"no token with id {token_id}")
        session.commit()
    typer.echo(f"token {token_id} revoked", err=True)


@token_app.command("hint")
def token_hint() -> None:
    """Say how to get a token and make a first request."""
    typer.echo(
        "\nTo get a token, run in another terminal:\n"
        "  TOKEN=$(.venv/bin/roster token create --role planner --name me)\n"
        "  curl -H \"Authorization: Bearer $TOKEN\" http://127.0.0.1:8000/experts?limit=5\n"
        "Roles: admin, hq, planner, member_state (with --state ISO3, e.g. --state NOR).\n",
        err=True,
    )


if __name__ == "__main__":
    app()
