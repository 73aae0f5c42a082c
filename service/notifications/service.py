"""The use cases of notifications: read the event feed, manage webhook subscriptions, read their deliveries."""

from collections.abc import Sequence

from sqlmodel import Session

from schemas.enums import DeliveryStatus
from service.notifications import targets, webhooks
from service.notifications.models import (
    DeliveriesPublic,
    EventsPage,
    SubscriptionCreate,
    SubscriptionCreated,
    SubscriptionPublic,
    SubscriptionsPublic,
    check_types,
    delivery_public,
    subscription_public,
)
from service.platform.auth import Principal
from service.platform.errors import Invalid
from service.platform.unit import Unit
from service.platform.usecase import use_case


def list_events(session: Session, *, principal: Principal, after: int, limit: int, types: list[str]) -> EventsPage:
    """Events after the cursor, oldest first; Member States see their own state's only; 422 for unknown types."""
    try:
        types = check_types(types)
    except ValueError as exc:
        raise Invalid("type", str(exc)) from None
    rows = webhooks.list_events(session, principal, after, limit, types)
    return EventsPage(data=[r.model_dump() for r in rows], count=len(rows), next_cursor=rows[-1].id if rows else after)


@use_case
def create_subscription(unit: Unit, *, body: SubscriptionCreate, allowed: Sequence[str] = ()) -> SubscriptionCreated:
    """A new active webhook subscription, audited; 422 unless its host is public; the answer alone holds the secret."""
    try:
        webhooks.check_target(body.url, allowed)
    except targets.Refused as exc:
        raise Invalid("url", f"{exc}: {targets.ALLOW_HINT}") from None
    row = webhooks.create_subscription(
        unit.session, unit.principal, url=body.url, event_types=body.event_types, secret=body.secret
    )
    public = subscription_public(row)
    unit.audit("create", "subscription", row.id, after=public)
    return unit.commit(SubscriptionCreated(**public.model_dump(), secret=row.secret), status=201)


def list_subscriptions(session: Session, *, principal: Principal, active: bool | None) -> SubscriptionsPublic:
    """The principal's role's (and state's) subscriptions; admins see all."""
    rows = webhooks.list_subscriptions(session, principal, active)
    return SubscriptionsPublic(data=[subscription_public(r) for r in rows], count=len(rows))


def get_subscription(session: Session, *, principal: Principal, subscription_id: int) -> SubscriptionPublic:
    """One subscription the principal may see, without its secret; 404 otherwise."""
    return subscription_public(webhooks.get_subscription(session, principal, subscription_id))


@use_case
def delete_subscription(unit: Unit, *, subscription_id: int) -> None:
    """Deactivate a subscription, audited (nothing to do when it is inactive already)."""
    row = webhooks.get_subscription(unit.session, unit.principal, subscription_id)
    if row.active:
        before = subscription_public(row)
        webhooks.deactivate(unit.session, row)
        unit.audit("deactivate", "subscription", row.id, before=before, after=subscription_public(row))
        unit.commit(None, status=204)


def list_deliveries(
    session: Session,
    *,
    principal: Principal,
    subscription_id: int,
    status: DeliveryStatus | None,
    limit: int,
    offset: int,
) -> DeliveriesPublic:
    """The recorded delivery attempts of one subscription the principal may see, newest first."""
    webhooks.get_subscription(session, principal, subscription_id)
    rows, count = webhooks.list_deliveries(session, subscription_id, status, limit, offset)
    return DeliveriesPublic(data=[delivery_public(d, event_type) for d, event_type in rows], count=count)
