"""Use cases of API tokens: issued and revoked, by an admin (audited) or from the command line."""

from typing import TYPE_CHECKING

from sqlmodel import Session

from schemas.enums import Role
from service.accounts.schemas import TokenCreate, TokenCreated, TokenPublic
from service.platform.auth import issue_token, revoke, revoked_here
from service.platform.usecase import use_case

if TYPE_CHECKING:  # the command line imports this module: it stays without FastAPI until a route needs it
    from service.platform.unit import Unit


@use_case
def create_token(unit: "Unit", *, body: TokenCreate) -> TokenCreated:
    """Issue a token, audited; its secret is in this answer only."""
    row, secret = issue_token(unit.session, role=body.role, name=body.name, state=body.state)
    public = TokenPublic.model_validate(row.model_dump())
    unit.audit("create", "api_token", row.id, after=public)
    unit.commit(None)
    return TokenCreated(**public.model_dump(), token=secret)


@use_case
def revoke_token(unit: "Unit", *, token_id: int) -> TokenPublic:
    """Revoke a token at once, audited."""
    from service.platform.errors import not_found

    row = revoke(unit.session, token_id)
    if row is None:
        raise not_found("token", token_id)
    public = TokenPublic.model_validate(row.model_dump())
    unit.audit("revoke", "api_token", token_id, after=public)
    unit.commit(None)
    revoked_here(row)
    return public


def issue_token_locally(session: Session, *, role: Role, name: str, state: str | None) -> str:
    """Issue a token from the command line (nobody signed in: no audit entry); its secret, once."""
    _, secret = issue_token(session, role=role, name=name, state=state)
    session.commit()
    return secret


def revoke_token_locally(session: Session, *, token_id: int) -> bool:
    """Revoke a token from the command line (nobody signed in: no audit entry); False if there is none."""
    if (row := revoke(session, token_id)) is None:
        return False
    session.commit()
    revoked_here(row)
    return True
