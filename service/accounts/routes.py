"""Routes for admins: API tokens and the audit trail."""

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query, status
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func
from sqlmodel import select

from schemas.enums import Role
from service.platform import audit
from service.platform.auth import issue_token, revoke
from service.platform.deps import AdminUser, SessionDep
from service.platform.errors import not_found
from service.platform.params import Id, Limit, Offset
from service.platform.tables import ApiToken, AuditEntry

router = APIRouter(tags=["administration"])


class TokenCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    role: Role
    name: str = Field(min_length=1, max_length=120)
    state: str | None = Field(default=None, pattern=r"^[A-Z]{3}$")


class TokenPublic(BaseModel):
    id: int
    name: str
    role: Role
    state: str | None
    prefix: str
    created_at: datetime
    revoked_at: datetime | None


class TokenCreated(TokenPublic):
    token: str = Field(description="shown once; store it now")


class TokensPublic(BaseModel):
    data: list[TokenPublic]
    count: int


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
    rows = session.exec(select(ApiToken).order_by(ApiToken.id)).all()
    return TokensPublic(data=[r.model_dump() for r in rows], count=len(rows))


@router.post("/tokens", response_model=TokenCreated, status_code=status.HTTP_201_CREATED)
def create_token(session: SessionDep, principal: AdminUser, body: TokenCreate):
    """Issue a token; its secret is in this answer only."""
    row, secret = issue_token(session, role=body.role, name=body.name, state=body.state)
    public = TokenPublic.model_validate(row.model_dump())
    audit.record(session, principal, "create", "api_token", row.id, after=public)
    session.commit()
    return TokenCreated(**public.model_dump(), token=secret)


@router.delete("/tokens/{token_id}", response_model=TokenPublic)
def revoke_token(session: SessionDep, principal: AdminUser, token_id: Id):
    """Revoke a token at once."""
    row = revoke(session, token_id)
    if row is None:
        raise not_found("token", token_id)
    public = TokenPublic.model_validate(row.model_dump())
    audit.record(session, principal, "revoke", "api_token", token_id, after=public)
    session.commit()
    return public


@router.get("/audit", response_model=AuditPage)
def read_audit(
    session: SessionDep,
    _: AdminUser,
    entity: str | None = None,
    entity_id: str | None = None,
    action: str | None = None,
    actor_token_id: Id | None = None,
    since: Annotated[datetime | None, Query(description="entries at or after this time (UTC)")] = None,
    limit: Limit = 50,
    offset: Offset = 0,
):
    """The audit trail, newest first."""
    conditions = [
        getattr(AuditEntry, name) == value
        for name, value in {"entity": entity, "entity_id": entity_id, "action": action,
                            "actor_token_id": actor_token_id}.items()
        if value is not None
    ]
    if since is not None:
        conditions.append(AuditEntry.at >= (since if since.tzinfo else since.replace(tzinfo=UTC)))
    count = session.exec(select(func.count()).select_from(AuditEntry).where(*conditions)).one()
    rows = session.exec(
        select(AuditEntry).where(*conditions).order_by(AuditEntry.id.desc()).limit(limit).offset(offset)
    ).all()
    return AuditPage(data=[r.model_dump() for r in rows], count=count)
