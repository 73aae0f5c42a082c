"""Routes: Member State offers of capacity."""

from typing import Annotated

import anyio
from fastapi import APIRouter, Header, Query, Request, Response, status

from schemas.enums import Category, OfferKind, OfferStatus, Readiness
from schemas.roster import (
    ISO3,
    AssessmentCreate,
    AssessmentPublic,
    OfferCreate,
    OfferPublic,
    OffersPublic,
    OfferUpdate,
    ReadinessChange,
)
from service.offers import repository as repo
from service.offers import service as offers_service
from service.platform import idempotency
from service.platform.auth import Principal
from service.platform.deps import ContributorUser, CurrentUser, HqUser, SessionDep, write_session
from service.platform.etags import json_answer, set_etag
from service.platform.params import Id, Limit, Offset
from service.platform.unit import Unit

router = APIRouter(prefix="/offers", tags=["offers"])


@router.get("", response_model=OffersPublic)
def list_offers(
    session: SessionDep,
    principal: CurrentUser,
    state: Annotated[str | None, Query(pattern=ISO3)] = None,
    status: OfferStatus | None = None,
    readiness: Readiness | None = None,
    kind: OfferKind | None = None,
    category: Category | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
):
    """List offers; Member States see only their own."""
    filters = {"state": state, "status": status, "readiness": readiness, "kind": kind, "category": category}
    data, count = repo.list_offers(session, principal, filters, limit, offset)
    return OffersPublic(data=data, count=count)


@router.post("", response_model=OfferPublic, status_code=status.HTTP_201_CREATED)
async def create_offer(principal: ContributorUser, body: OfferCreate, request: Request):
    """Register an offer (Member States offer for themselves; HQ records one for a named state)."""
    public = None
    if (pool := request.app.state.read_pool) is not None and not idempotency.claimed(request):
        public = await offers_service.create_offer_at_once(pool, principal=principal, body=body)
    if public is None:
        public = await anyio.to_thread.run_sync(_create, principal, body, request)
    return json_answer(
        public.model_dump_json().encode(), public.version, status.HTTP_201_CREATED, location=f"/offers/{public.id}"
    )


def _create(principal: Principal, body: OfferCreate, request: Request) -> OfferPublic:
    """``create_offer`` on a session of its own (this runs in a thread)."""
    with write_session(request) as session:
        return offers_service.create_offer(Unit.of(session, principal, request), body=body)


@router.get("/{offer_id:int}", response_model=OfferPublic)
def get_offer(session: SessionDep, principal: CurrentUser, offer_id: Id, response: Response):
    """One offer, with an ETag for later updates."""
    offer = repo.get_visible(session, principal, offer_id)
    set_etag(response, offer.version)
    return repo.to_public(offer)


@router.patch("/{offer_id:int}", response_model=OfferPublic)
def update_offer(
    session: SessionDep,
    principal: ContributorUser,
    offer_id: Id,
    body: OfferUpdate,
    response: Response,
    if_match: Annotated[str | None, Header()] = None,
):
    """Change, renew (new ``expires_on``) or withdraw an offer; a stale If-Match answers 412."""
    unit = Unit.of(session, principal)
    public = offers_service.update_offer(unit, offer_id=offer_id, body=body, if_match=if_match)
    set_etag(response, public.version)
    return public


@router.post("/{offer_id:int}/assessments", response_model=AssessmentPublic, status_code=status.HTTP_201_CREATED)
def record_assessment(session: SessionDep, principal: HqUser, offer_id: Id, body: AssessmentCreate, request: Request):
    """HQ records the UN's assessment and advisory visit to the offer; a passed one raises a pledged offer to
    `assessed` (audited, with the visit as its reason). Failed visits are kept too: they keep it from rising."""
    return offers_service.record_assessment(Unit.of(session, principal, request), offer_id=offer_id, visit=body)


@router.get("/{offer_id:int}/assessments", response_model=list[AssessmentPublic])
def list_assessments(session: SessionDep, principal: CurrentUser, offer_id: Id):
    """The offer's assessment visits, the latest first; a Member State reads those of its own offers."""
    return offers_service.list_assessments(session, principal, offer_id=offer_id)


@router.post("/{offer_id:int}/readiness", response_model=OfferPublic)
def change_readiness(
    session: SessionDep,
    principal: HqUser,
    offer_id: Id,
    body: ReadinessChange,
    request: Request,
    response: Response,
    if_match: Annotated[str | None, Header()] = None,
):
    """HQ sets the offer's readiness with a reason (kept in the audit trail): `assessed`, `ready` or
    `rapid_deployment` only when the latest assessment visit passed; `pledged` at any time. Member States pledge;
    they cannot raise readiness themselves."""
    unit = Unit.of(session, principal, request)
    public = offers_service.change_readiness(unit, offer_id=offer_id, body=body, if_match=if_match)
    set_etag(response, public.version)
    return public
