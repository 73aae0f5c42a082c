"""The API's shapes for events, webhook subscriptions and deliveries, with the checks on what clients send."""

from datetime import datetime
from typing import Annotated
from urllib.parse import urlsplit

import httpx
from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema, field_validator

from schemas.enums import DeliveryStatus
from service.notifications.outbox import EVENT_TYPES


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


# Documented as the closed list it is (the checks below give the words when a name is not in it).
EventTypeName = Annotated[str, WithJsonSchema({"type": "string", "enum": list(EVENT_TYPES)})]


def check_types(types: list[str]) -> list[str]:
    unknown = [t for t in types if t not in EVENT_TYPES]
    if unknown:
        raise ValueError(f"unknown event type(s) {', '.join(map(repr, unknown))}: use any of {', '.join(EVENT_TYPES)}")
    return list(dict.fromkeys(types))


def _webhook_url(value: str) -> str:
    value, fix = value.strip(), "give an absolute http:// or https:// URL, e.g. https://example.org/roster-events"
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018  (reading it raises on a port out of range)
        httpx.URL(value)
    except (ValueError, httpx.InvalidURL) as exc:
        raise ValueError(f"not a valid URL ({exc}): {fix}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname or any(c.isspace() for c in value):
        raise ValueError(fix)
    if parts.username is not None or parts.password is not None:
        raise ValueError(
            "remove the user name and password from the URL; deliveries are authenticated by X-Roster-Signature instead"
        )
    return value


class SubscriptionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    url: str = Field(
        max_length=2000,
        description="http(s) URL that receives a POST per event; every address its host "
        "resolves to must be public (loopback, private, link-local, metadata and reserved addresses are refused)",
        json_schema_extra={"pattern": "^https?://[A-Za-z0-9][A-Za-z0-9.-]*(:[1-9][0-9]{0,3})?(/[!-~]*)?$"},
    )
    event_types: list[EventTypeName] = Field(
        default_factory=list, max_length=len(EVENT_TYPES) * 2, description="event types to receive; empty for all"
    )
    secret: str | None = Field(
        default=None,
        min_length=16,
        max_length=200,
        description="HMAC-SHA256 key for X-Roster-Signature (t=<unix seconds>,v1=<hex HMAC of '<t>.<body>'>); "
        "generated when left out",
    )

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        return _webhook_url(value)

    @field_validator("event_types")
    @classmethod
    def _known_types(cls, value: list[str]) -> list[str]:
        return check_types(value)


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
    secret: str = Field(
        description="shown once; store it to check X-Roster-Signature, and refuse signatures older than five minutes"
    )


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


def subscription_public(row) -> SubscriptionPublic:
    return SubscriptionPublic.model_validate(row.model_dump())


def delivery_public(row, event_type: str) -> DeliveryPublic:
    pending = row.status == DeliveryStatus.pending
    return DeliveryPublic(
        **row.model_dump(exclude={"next_attempt_at"}),
        event_type=event_type,
        next_attempt_at=row.next_attempt_at if pending else None,
    )
