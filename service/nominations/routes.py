"""Routes: calls for nominations (HQ and planners), nominations (Member States), assessment stages (HQ)."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, status

from schemas.enums import CallStatus, NominationStatus, Role
from schemas.nominations import (
    CallCancel,
    CallCreate,
    CallPublic,
    CallsPublic,
    NominationCreate,
    NominationDecision,
    NominationPublic,
    NominationsPublic,
    StageResultCreate,
    StageResultPublic,
    StageResultsPublic,
)
from schemas.roster import ISO3
from service.nominations import service as nominations
from service.platform.auth import Principal
from service.platform.deps import CurrentUser, SessionDep, StaffUser, require
from service.platform.params import Id, Limit, Offset
from service.platform.unit import Unit

router = APIRouter(tags=["nominations"])

HqOrAdmin = Annotated[Principal, Depends(require(Role.admin, Role.hq))]
HqOrPlanner = Annotated[Principal, Depends(require(Role.hq, Role.planner))]
MemberState = Annotated[Principal, Depends(require(Role.member_state))]
RowFilter = Annotated[int | None, Query(ge=1, le=2_147_483_647)]


@router.post("/calls", response_model=CallPublic, status_code=status.HTTP_201_CREATED)
def open_call(session: SessionDep, principal: StaffUser, body: CallCreate, request: Request, response: Response):
    """Open a call for nominations on positions of one request, with a deadline (today or later) and the states
    invited (`states`: null for every Member State, or a list of ISO3 codes). The invited states get `call.opened`."""
    public = nominations.open_call(Unit.of(session, principal, request), body=body)
    response.headers["Location"] = f"/calls/{public.id}"
    return public


@router.get("/calls", response_model=CallsPublic)
def list_calls(
    session: SessionDep,
    principal: CurrentUser,
    status: CallStatus | None = None,
    request_id: RowFilter = None,
    limit: Limit = 50,
    offset: Offset = 0,
):
    """Calls, the latest first; a Member State sees the open calls it is invited to."""
    filters = {"status": status, "request_id": request_id}
    return nominations.list_calls(session, principal=principal, filters=filters, limit=limit, offset=offset)


@router.get("/calls/{call_id:int}", response_model=CallPublic)
def get_call(session: SessionDep, principal: CurrentUser, call_id: Id):
    """One call; a Member State not invited gets 404, and sees no other invited state than itself."""
    return nominations.get_call(session, principal=principal, call_id=call_id)


@router.post("/calls/{call_id:int}/close", response_model=CallPublic)
def close_call(session: SessionDep, principal: StaffUser, call_id: Id, request: Request):
    """Close an open call (the worker closes those whose deadline has passed); 409 if it is not open."""
    return nominations.close_call(Unit.of(session, principal, request), call_id=call_id)


@router.post("/calls/{call_id:int}/cancel", response_model=CallPublic)
def cancel_call(session: SessionDep, principal: HqOrAdmin, call_id: Id, body: CallCancel, request: Request):
    """Cancel an open call with a reason (e.g. the request was stood down); the invited states are told."""
    return nominations.cancel_call(Unit.of(session, principal, request), call_id=call_id, body=body)


@router.post("/calls/{call_id:int}/nominations", response_model=NominationPublic, status_code=status.HTTP_201_CREATED)
def nominate(
    session: SessionDep,
    principal: MemberState,
    call_id: Id,
    body: NominationCreate,
    request: Request,
    response: Response,
):
    """Nominate one of the state's own active experts (`expert_id`) or live offers (`offer_id`) for a position of
    an open call, by its deadline; 409 if that supplier is already nominated for the position."""
    public = nominations.nominate(Unit.of(session, principal, request), call_id=call_id, body=body)
    response.headers["Location"] = f"/nominations/{public.id}"
    return public


@router.get("/nominations", response_model=NominationsPublic)
def list_nominations(
    session: SessionDep,
    principal: CurrentUser,
    call_id: RowFilter = None,
    position_id: RowFilter = None,
    state: Annotated[str | None, Query(pattern=ISO3)] = None,
    status: NominationStatus | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
):
    """Nominations; a Member State sees its own only."""
    filters = {"call_id": call_id, "position_id": position_id, "state": state, "status": status}
    return nominations.list_nominations(session, principal=principal, filters=filters, limit=limit, offset=offset)


@router.get("/nominations/{nomination_id:int}", response_model=NominationPublic)
def get_nomination(session: SessionDep, principal: CurrentUser, nomination_id: Id):
    """One nomination with the latest result of each stage its position requires."""
    return nominations.get_nomination(session, principal=principal, nomination_id=nomination_id)


@router.post("/nominations/{nomination_id:int}/withdraw", response_model=NominationPublic)
def withdraw(session: SessionDep, principal: MemberState, nomination_id: Id, request: Request):
    """Withdraw the state's nomination while it is `nominated`, up to the call's deadline (else 409, saying why)."""
    return nominations.withdraw(Unit.of(session, principal, request), nomination_id=nomination_id)


@router.post("/nominations/{nomination_id:int}/decision", response_model=NominationPublic)
def decide(session: SessionDep, principal: HqOrPlanner, nomination_id: Id, body: NominationDecision, request: Request):
    """Turn a nomination down (`not_selected`, e.g. after a failed stage); selection comes with an approval."""
    return nominations.decide(Unit.of(session, principal, request), nomination_id=nomination_id, body=body)


@router.post(
    "/nominations/{nomination_id:int}/stages", response_model=StageResultPublic, status_code=status.HTTP_201_CREATED
)
def record_stage(
    session: SessionDep, principal: HqOrAdmin, nomination_id: Id, body: StageResultCreate, request: Request
):
    """Record a stage result (a stage the position requires, assessed by today); the latest per stage counts."""
    return nominations.record_stage(Unit.of(session, principal, request), nomination_id=nomination_id, body=body)


@router.get("/nominations/{nomination_id:int}/stages", response_model=StageResultsPublic)
def list_stages(session: SessionDep, principal: CurrentUser, nomination_id: Id):
    """Every stage result of a nomination, the latest first."""
    return nominations.list_stages(session, principal=principal, nomination_id=nomination_id)
