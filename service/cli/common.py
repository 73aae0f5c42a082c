"""What every command group shares: the apps, the engine, failing, acting as someone."""

from typing import NoReturn

import typer
from sqlmodel import Session

from schemas.enums import Role
from service.platform.db import make_engine, pending_migrations
from service.platform.settings import get_settings

app = typer.Typer(
    help="Roster and deployment matching service.\n\nExit codes: 0 success; 1 failure (the "
    "command's help says which); 2 usage error (bad option, file or value).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
token_app = typer.Typer(help="API tokens.", no_args_is_help=True)
export_app = typer.Typer(
    help="Export plans, deployments and the gap report to CSV or XLSX.\n\nExit codes: 0 written; "
    "1 failure (no such plan, database behind the migrations); 2 usage error.",
    no_args_is_help=True,
)
app.add_typer(db_app, name="db")
app.add_typer(token_app, name="token")
app.add_typer(export_app, name="export")


def open_engine():
    """The database, with the changes commands make rechecking the deployments they touch (as the app does)."""
    from service.notifications import outbox
    from service.planning import risks
    from service.privacy import retention

    risks.install()
    outbox.install()
    retention.install()
    return make_engine(get_settings().database_url)


def fail(message: str, code: int = 1) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def require_current_schema(engine) -> None:
    message = pending_migrations(engine)
    if message:
        fail(message)


def current_engine():
    engine = open_engine()
    require_current_schema(engine)
    return engine


def acting_as(session: Session, state: str | None):
    """Act as HQ, or as the Member State named by --state; the audit trail names the actor 'cli'."""
    from service.platform.auth import Principal
    from service.platform.tables import MemberState

    if state is None:
        return Principal(token_id=None, name="cli", role=Role.hq)
    if session.get(MemberState, state.upper()) is None:
        fail(f"unknown Member State {state!r}: use an ISO3 code such as NOR", 2)
    return Principal(token_id=None, name="cli", role=Role.member_state, state=state.upper())


def parse_date(option: str, value: str | None):
    from datetime import date

    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        fail(f"{option} {value!r} is not a date: write YYYY-MM-DD", 2)
