"""`roster token create|list|revoke|hint`."""

import sys
from typing import Annotated

import typer
from sqlmodel import Session

from schemas.enums import Role
from service.cli.common import fail, open_engine, require_current_schema, token_app


@token_app.command("create")
def token_create(
    role: Annotated[Role, typer.Option(help="what the token may do")],
    state: Annotated[str | None, typer.Option(help="ISO3 of the Member State (member_state role only)")] = None,
    name: Annotated[str, typer.Option(help="who or what holds the token")] = "cli",
) -> None:
    """Create a token and print it once, alone on stdout."""
    from service.accounts.service import issue_token_locally
    from service.platform.errors import Invalid

    engine = open_engine()
    require_current_schema(engine)
    with Session(engine) as session:
        try:
            secret = issue_token_locally(session, role=role, name=name, state=state.upper() if state else None)
        except Invalid as exc:
            fail(exc.detail[0]["message"], 2)
    sys.stdout.write(secret + "\n")


@token_app.command("list")
def token_list() -> None:
    """List tokens (never their secrets)."""
    from service.accounts.repository import tokens

    with Session(open_engine()) as session:
        for t in tokens(session):
            status = "revoked" if t.revoked_at else "active"
            typer.echo(f"{t.id}\t{t.prefix}…\t{t.role}\t{t.state or '-'}\t{status}\t{t.name}")


@token_app.command("revoke")
def token_revoke(token_id: Annotated[int, typer.Argument(help="id from `roster token list`")]) -> None:
    """Revoke a token at once."""
    from service.accounts.service import revoke_token_locally

    with Session(open_engine()) as session:
        if not revoke_token_locally(session, token_id=token_id):
            fail(f"no token with id {token_id}")
    typer.echo(f"token {token_id} revoked", err=True)


@token_app.command("hint")
def token_hint(
    host: Annotated[str, typer.Option(help="address the server listens on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port the server listens on")] = 8000,
) -> None:
    """Say how to get a token and make a first request."""
    typer.echo(
        "\nTo get a token, run in another terminal:\n"
        "  TOKEN=$(.venv/bin/roster token create --role planner --name me)\n"
        f'  curl -H "Authorization: Bearer $TOKEN" http://{host}:{port}/experts?limit=5\n'
        f"Or open http://{host}:{port}/ui and paste the token (plan with the date 2027-01-04 for the demo).\n"
        "Roles: admin, hq, planner, member_state (with --state ISO3, e.g. --state NOR).\n",
        err=True,
    )
