"""Routes: the event feed for pollers and webhook subscriptions."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, status

from schemas.enums import DeliveryStatus, Role
from service.notifications import service
from service.notifications.models import (
    DeliveriesPublic,
    EventsPage,
    EventTypeName,
    SubscriptionCreate,
    SubscriptionCreated,
    SubscriptionPublic,
    SubscriptionsPublic,
)
from service.platform.auth import Principal
from service.platform.deps import ContributorUser, CurrentUser, SessionDep, require
from service.platform.params import Id, Limit, Offset
from service.platform.unit import Unit

router = APIRouter(tags=["events"])

SubscriptionReader = Annotated[Principal, Depends(require(Role.admin, Role.hq, Role.member_state))]
Cursor = Annotated[int, Query(ge=0, le=2_147_483_647, description="the last event id you have; 0 for the start")]


@router.get("/events", response_model=EventsPage)
def list_events(
    session: SessionDep,
    principal: CurrentUser,
    after: Cursor = 0,
    limit: Limit = 100,
    types: Annotated[list[EventTypeName], Query(alias="type", description="event type, repeatable; none for all")] = [],  # noqa: B006 (FastAPI copies it)
):
    """Events after the cursor, oldest first; Member States see their own state's only."""
    return service.list_events(session, principal=principal, after=after, limit=limit, types=types)


@router.post("/subscriptions", response_model=SubscriptionCreated, status_code=status.HTTP_201_CREATED)
def create_subscription(
    session: SessionDep, principal: ContributorUser, body: SubscriptionCreate, response: Response, request: Request
):
    """Subscribe a webhook to events; the secret is in this answer only.

    The URL's host is resolved and every address it resolves to must be public: loopback, private,
    link-local, the cloud metadata address, multicast, reserved addresses and IPv6 forms that carry
    one of them (IPv4-mapped, IPv4-compatible, NAT64, 6to4, Teredo) answer 422 unless the operator
    allows them (ROSTER_WEBHOOK_ALLOWED_NETWORKS). Each delivery is signed over its timestamp and body:
    `X-Roster-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`.
    """
    allowed = request.app.state.settings.webhook_allowed_networks
    created = service.create_subscription(Unit.of(session, principal, request), body=body, allowed=allowed)
    response.headers["Location"] = f"/subscriptions/{created.id}"
    return created


@router.get("/subscriptions", response_model=SubscriptionsPublic)
def list_subscriptions(session: SessionDep, principal: SubscriptionReader, active: bool | None = None):
    """Your role's (and state's) subscriptions; admins see all."""
    return service.list_subscriptions(session, principal=principal, active=active)


@router.get("/subscriptions/{subscription_id:int}", response_model=SubscriptionPublic)
def get_subscription(session: SessionDep, principal: SubscriptionReader, subscription_id: Id):
    """One subscription, without its secret."""
    return service.get_subscription(session, principal=principal, subscription_id=subscription_id)


@router.delete("/subscriptions/{subscription_id:int}", status_code=status.HTTP_204_NO_CONTENT)
def delete_subscription(session: SessionDep, principal: ContributorUser, subscription_id: Id) -> Response:
    """Deactivate a subscription; its delivery history stays readable."""
    service.delete_subscription(Unit.of(session, principal), subscription_id=subscription_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/subscriptions/{subscription_id:int}/deliveries", response_model=DeliveriesPublic)
def list_deliveries(
    session: SessionDep,
    principal: SubscriptionReader,
    subscription_id: Id,
    delivery_status: Annotated[DeliveryStatus | None, Query(alias="status")] = None,
    limit: Limit = 50,
    offset: Offset = 0,
):
    """The recorded delivery attempts of one subscription, newest first."""
    return service.list_deliveries(
        session,
        principal=principal,
        subscription_id=subscription_id,
        status=delivery_status,
        limit=limit,
        offset=offset,
    )
