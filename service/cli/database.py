"""`roster db upgrade` and `roster seed`."""

from typing import Annotated

import typer
from sqlmodel import Session

from service.cli.common import app, db_app, open_engine, require_current_schema
from service.platform.db import upgrade
from service.platform.settings import get_settings


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
    from service.seeding import seed_demo, seed_process_demo, seed_reference

    engine = open_engine()
    require_current_schema(engine)
    with Session(engine) as session:
        for name, counts in seed_reference(session).items():
            typer.echo(f"{name}: {counts}", err=True)
        if demo:
            for name, counts in (seed_demo(session, experts=experts) | seed_process_demo(session)).items():
                typer.echo(f"demo {name}: {counts}", err=True)
