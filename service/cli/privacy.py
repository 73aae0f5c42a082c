"""`roster privacy purge [--dry-run]`."""

from typing import Annotated

import typer
from sqlmodel import Session

from service.cli.common import app, current_engine

privacy_app = typer.Typer(help="Personal data: retention.", no_args_is_help=True)
app.add_typer(privacy_app, name="privacy")


@privacy_app.command("purge")
def purge(
    dry_run: Annotated[bool, typer.Option("--dry-run", help="only show what would be purged; change nothing")] = False,
) -> None:
    """Purge the personal data kept past its retention period (ROSTER_RETAIN_*_DAYS), and print a table: data
    class | period | rows purged | oldest affected. The worker runs the same purge daily.

    Exit codes: 0 done; 1 failure (database behind the migrations).
    """
    from service.platform.auth import Principal
    from service.platform.settings import get_settings
    from service.privacy import retention

    periods = retention.Periods.of(get_settings())
    with Session(current_engine()) as session:
        if dry_run:
            lines = retention.report(session, periods=periods)
        else:
            cli = Principal(token_id=None, name="cli", role=retention.SYSTEM.role)
            lines = retention.purge(session, periods=periods, by=cli)
    typer.echo(retention.table(lines, dry_run=dry_run))
