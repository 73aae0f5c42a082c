"""Routes: erasure of one person everywhere, and subject access (everything held about one person)."""

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response, status

from schemas.enums import Role
from service.platform.auth import Principal
from service.platform.deps import DeciderUser, SessionDep, require
from service.platform.params import Id, Limit, Offset
from service.platform.unit import Unit
from service.privacy import access
from service.privacy import service as privacy_service
from service.privacy.schemas import (
    ErasureCreate,
    ErasureDecision,
    ErasurePublic,
    ErasuresPublic,
    SubjectAccess,
    SubjectFormat,
)
from service.spreadsheets.writing import MEDIA_TYPES, attachment

router = APIRouter(prefix="/privacy", tags=["privacy"])
Requester = Annotated[Principal, Depends(require(Role.admin, Role.member_state))]
Reader = Annotated[Principal, Depends(require(Role.admin, Role.hq, Role.member_state))]


@router.post(
    "/erasures",
    response_model=ErasurePublic,
    status_code=status.HTTP_201_CREATED,
    responses={
        202: {"model": ErasurePublic, "description": "asked: waits for HQ's approval"},
        404: {"description": "No such expert, or one the caller may not see"},
    },
)
def request_erasure(
    session: SessionDep, principal: Requester, body: ErasureCreate, request: Request, response: Response
):
    """Erase an expert everywhere (admin: at once); a Member State asks, and HQ approves when they were deployed."""
    public = privacy_service.request_erasure(Unit.of(session, principal, request), body=body)
    if public.status == "pending":
        response.status_code = status.HTTP_202_ACCEPTED
    response.headers["Location"] = f"/privacy/erasures/{public.id}"
    return public


@router.get("/erasures", response_model=ErasuresPublic)
def list_erasures(
    session: SessionDep,
    principal: Reader,
    status: Literal["pending", "declined", "done"] | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
):
    """Erasures, newest first; a Member State sees its own experts' only."""
    return privacy_service.list_erasures(session, principal, status=status, limit=limit, offset=offset)


@router.get("/erasures/{erasure_id:int}", response_model=ErasurePublic)
def get_erasure(session: SessionDep, principal: Reader, erasure_id: Id):
    """One erasure."""
    return privacy_service.get_erasure(session, principal, erasure_id=erasure_id)


@router.post("/erasures/{erasure_id:int}/approve", response_model=ErasurePublic)
def approve_erasure(
    session: SessionDep, principal: DeciderUser, erasure_id: Id, request: Request, body: ErasureDecision | None = None
):
    """Approve a Member State's pending request (HQ or admin): the expert is erased now."""
    unit = Unit.of(session, principal, request)
    return privacy_service.approve_erasure(unit, erasure_id=erasure_id, body=body or ErasureDecision())


@router.post("/erasures/{erasure_id:int}/decline", response_model=ErasurePublic)
def decline_erasure(
    session: SessionDep, principal: DeciderUser, erasure_id: Id, request: Request, body: ErasureDecision | None = None
):
    """Decline a Member State's pending request (HQ or admin); say why in the note."""
    unit = Unit.of(session, principal, request)
    return privacy_service.decline_erasure(unit, erasure_id=erasure_id, body=body or ErasureDecision())


SUBJECT_RESPONSES: dict[int | str, dict[str, Any]] = {200: {"content": {MEDIA_TYPES["xlsx"]: {}}}}


@router.get("/subjects/{expert_id:int}", response_model=SubjectAccess, responses=SUBJECT_RESPONSES)
def subject_access(
    session: SessionDep,
    principal: Reader,
    expert_id: Id,
    format: Annotated[SubjectFormat, Query(description="json, or xlsx: a sheet per section")] = "json",
):
    """Everything held about one expert, for their subject access request: the whole record, deployments,
    nominations and stage results, plans' proposals, erasure requests, and who changed the record (field names).

    Admin, HQ, and the expert's own Member State (404 for another's); every export is itself audited.
    """
    if format == "xlsx":
        content, filename = access.subject_access_file(session, principal=principal, expert_id=expert_id)
        return attachment(content, "xlsx", filename)
    return access.subject_access(session, principal=principal, expert_id=expert_id)
