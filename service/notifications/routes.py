"""Routes: the event feed for pollers and webhook subscriptions."""

from datetime import datetime
from typing import Annotated
from urllib.parse import urlsplit

import httpx
from fastapi import APIRouter, Depends, Query, Response, status
from pydantic import BaseModel, ConfigDict, Field, field_validator

from schemas.enums import DeliveryStatus, Role
from service.platform import audit
from service.notifications import webhooks
from service.platform.auth import Principal
from service.platform.deps import ContributorUser, CurrentUser, SessionDep, require
from service.platform.errors import Invalid
from service.notifications.outbox import EVENT_TYPES
from service.platform.params import Id, Limit, Offset

router = APIRouter(tags=["events"])

SubscriptionReader = Annotated[Principal, Depends(require(Role.admin, Role.hq, Role.member_state))]
Cursor = Annotated[int, Query(ge=0, le=2_147_483_647, description="the last event id you have; 0 for the start")]


class EventPublic(BaseModel):
    id: int
    at: datetime
    type: str
    state: str | None
    entity: str
    entity_id: str
    payload: dict


class EventsPage(BaseModel):
    data: list[EventPublic]
    count: int = Field(description="number of events in this page")
    next_cursor: int = Field(description="pass as ?after= to get the events after these")


def _check_types(types: list[str]) -> list[str]:
    unknown = [t for t in types if t not in EVENT_TYPES]
    if unknown:
        raise ValueError(f"unknown event type(s) {', '.join(unknown)}: use any of {', '.join(EVENT_TYPES)}")
    return list(dict.fromkeys(types))


def _webhook_url(value: str) -> str:
    value, fix = value.strip(), "give an absolute http:// or https:// URL, e.g. https://example.org/roster-events"
    try:
        parts = urlsplit(value)
        parts.port  # raises on a port out of range
        httpx.URL(value)
    except (ValueError, httpx.InvalidURL) as exc:
        raise ValueError(f"not a valid URL ({exc}): {fix}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname or any(c.isspace() for c in value):
        raise ValueError(fix)
    if parts.username is not None or parts.password is not None:
        raise ValueError("remove the user name and password from the URL; deliveries are authenticated "
                         "by X-Roster-Signature instead")
    return value


class SubscriptionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    url: str = Field(max_length=2000, description="http(s) URL that receives a POST per event")
    event_types: list[str] = Field(default_factory=list, max_length=len(EVENT_TYPES) * 2,
                                   description="event types to receive; empty for all")
    secret: str | None = Field(default=None, min_length=16, max_length=200,
                               description="HMAC-SHA256 key for X-Roster-Signature; generated when left out")

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        return _webhook_url(value)

    @field_validator("event_types")
    @classmethod
    def _known_types(cls, value: list[str]) -> list[str]:
        return _check_types(value)


class SubscriptionPublic(BaseModel):
    id: int
    url: str
    event_types: list[str]
    active: bool
    role: str
    state: str | None
    token_id: int
    created_at: datetime


class SubscriptionCreated(SubscriptionPublic):
    secret: str = Field(description="shown once; store it to check X-Roster-Signature")


class SubscriptionsPublic(BaseModel):
    data: list[SubscriptionPublic]
    count: int


class DeliveryPublic(BaseModel):
    id: int
    event_id: int
    event_type: str
    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime | None = Field(description="when the next attempt is due; null unless pending")
    last_status_code: int | None
    last_error: str | None
    delivered_at: datetime | None


class DeliveriesPublic(BaseModel):
    data: list[DeliveryPublic]
    count: int


def _public(row) -> SubscriptionPublic:
    return SubscriptionPublic.model_validate(row.model_dump())


def _delivery(row, event_type: str) -> DeliveryPublic:
    pending = row.status == DeliveryStatus.pending
    return DeliveryPublic(**row.model_dump(exclude={"next_attempt_at"}), event_type=event_type,
                          next_attempt_at=row.next_attempt_at if pending else None)


@router.get("/events", response_model=EventsPage)
def list_events(
    session: SessionDep,
    principal: CurrentUser,
    after: Cursor = 0,
    limit: Limit = 100,
    types: Annotated[list[str], Query(alias="type", description="event type, repeatable; none for all")] = [],
):
    """Events after the cursor, oldest first; Member States see their own state's only."""
    try:
        types = _check_types(types)
    except ValueError as exc:
        raise Invalid("type", str(exc)) from None
    rows = webhooks.list_events(session, principal, after, limit, types)
    return EventsPage(data=[r.model_dump() for r in rows], count=len(rows), next_cursor=rows[-1].id if rows else after)


@router.post("/subscriptions", response_model=SubscriptionCreated, status_code=status.HTTP_201_CREATED)
def create_subscription(session: SessionDep, principal: ContributorUser, body: SubscriptionCreate, response: Response):
    """Subscribe a webhook to events; the secret is in this answer only."""
    row = webhooks.create_subscription(session, principal, url=body.url, event_types=body.event_types,
                                       secret=body.secret)
    public = _public(row)
    audit.record(session, principal, "create", "subscription", row.id, after=public)
    session.commit()
    response.headers["Location"] = f"/subscriptions/{row.id}"
    return SubscriptionCreated(**public.model_dump(), secret=row.secret)


@router.get("/subscriptions", response_model=SubscriptionsPublic)
def list_subscriptions(session: SessionDep, principal: SubscriptionReader, active: bool | None = None):
    """Your role's (and state's) subscriptions; admins see all."""
    rows = webhooks.list_subscriptions(session, principal, active)
    return SubscriptionsPublic(data=[_public(r) for r in rows], count=len(rows))


@router.get("/subscriptions/{subscription_id}", response_model=SubscriptionPublic)
def get_subscription(session: SessionDep, principal: SubscriptionReader, subscription_id: Id):
    """One subscription, without its secret."""
    return _public(webhooks.get_subscription(session, principal, subscription_id))


@router.delete("/subscriptions/{subscription_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_subscription(session: SessionDep, principal: ContributorUser, subscription_id: Id) -> Response:
    """Deactivate a subscription; its delivery history stays readable."""
    row = webhooks.get_subscription(session, principal, subscription_id)
    if row.active:
        before = _public(row)
        webhooks.deactivate(session, row)
        audit.record(session, principal, "deactivate", "subscription", row.id, before=before, after=_public(row))
        session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/subscriptions/{subscription_id}/deliveries", response_model=DeliveriesPublic)
def list_deliveries(
    session: SessionDep,
    principal: SubscriptionReader,
    subscription_id: Id,
    delivery_status: Annotated[DeliveryStatus | None, Query(alias="status")] = None,
    limit: Limit = 50,
    offset: Offset = 0,
):
    """The recorded delivery attempts of one subscription, newest first."""
    webhooks.get_subscription(session, principal, subscription_id)
    rows, count = webhooks.list_deliveries(session, subscription_id, delivery_status, limit, offset)
    data = [_delivery(d, event_type) for d, event_type in rows]
    return DeliveriesPublic(data=data, count=count)
