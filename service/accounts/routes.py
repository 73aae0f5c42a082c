"""Routes for admins: API tokens and the audit trail."""

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, status
from pydantic import BaseModel

from schemas.dates import Moment
from service.accounts import repository as repo
from service.accounts import service as accounts_service
from service.accounts.schemas import TokenCreate, TokenCreated, TokenPublic, TokensPublic
from service.platform.deps import AdminUser, SessionDep
from service.platform.params import Id, Limit, Offset
from service.platform.unit import Unit

router = APIRouter(tags=["administration"])


class AuditPublic(BaseModel):
    id: int
    at: datetime
    actor_token_id: Id | None
    actor_name: str
    actor_role: str
    actor_state: str | None
    action: str
    entity: str
    entity_id: str
    before: dict | None
    after: dict | None


class AuditPage(BaseModel):
    data: list[AuditPublic]
    count: int


@router.get("/tokens", response_model=TokensPublic)
def list_tokens(session: SessionDep, _: AdminUser):
    """All API tokens (never their secrets)."""
    rows = repo.tokens(session)
    return TokensPublic(data=[r.model_dump() for r in rows], count=len(rows))


@router.post("/tokens", response_model=TokenCreated, status_code=status.HTTP_201_CREATED)
def create_token(session: SessionDep, principal: AdminUser, body: TokenCreate):
    """Issue a token; its secret is in this answer only."""
    return accounts_service.create_token(Unit.of(session, principal), body=body)


@router.delete("/tokens/{token_id:int}", response_model=TokenPublic)
def revoke_token(session: SessionDep, principal: AdminUser, token_id: Id):
    """Revoke a token at once."""
    return accounts_service.revoke_token(Unit.of(session, principal), token_id=token_id)


@router.get("/audit", response_model=AuditPage)
def read_audit(
    session: SessionDep,
    _: AdminUser,
    entity: str | None = None,
    entity_id: str | None = None,
    action: str | None = None,
    actor_token_id: Id | None = None,
    since: Annotated[Moment | None, Query(description="entries at or after this time (UTC)")] = None,
    limit: Limit = 50,
    offset: Offset = 0,
):
    """The audit trail, newest first."""
    filters = {"entity": entity, "entity_id": entity_id, "action": action, "actor_token_id": actor_token_id}
    rows, count = repo.audit_entries(session, filters, since, limit, offset)
    return AuditPage(data=[r.model_dump() for r in rows], count=count)
