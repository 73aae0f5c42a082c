"""Webhooks: who may see which event, subscriptions, turning events into deliveries, and sending them signed."""

import hashlib
import hmac
import json
import logging
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
from fastapi.encoders import jsonable_encoder
from sqlalchemy import Engine, and_, exists, func, or_, update
from sqlmodel import Session, col, select

from schemas.enums import DeliveryStatus, Role
from service.notifications import targets
from service.notifications.outbox import PUBLIC_TYPES, committed
from service.platform.auth import Principal
from service.platform.errors import not_found
from service.platform.tables import Delivery, OutboxEvent, Subscription, utcnow

logger = logging.getLogger("roster.webhooks")

TIMEOUT = 5.0
MAX_ATTEMPTS = 8
FIRST_RETRY = timedelta(seconds=10)
MAX_RETRY = timedelta(hours=1)
LOOKBACK = timedelta(minutes=2)
ENQUEUE_BATCH = 500
USER_AGENT = "roster-webhooks/1"


# --- Visibility: the same rule for polling and for webhooks --------------------------------


def event_visibility(role: Role | str, state: str | None) -> list:
    """Conditions on OutboxEvent: a Member State sees its own state's events and the public ones (a call to
    every state), every other role sees all."""
    if Role(role) == Role.member_state:
        public = and_(col(OutboxEvent.state).is_(None), col(OutboxEvent.type).in_(PUBLIC_TYPES))
        return [or_(OutboxEvent.state == state, public)]
    return []


def list_events(session: Session, principal: Principal, after: int, limit: int, types: list[str]) -> list[OutboxEvent]:
    conditions = [col(OutboxEvent.id) > after, *event_visibility(principal.role, principal.state)]
    if types:
        conditions.append(OutboxEvent.type.in_(types))
    statement = committed(select(OutboxEvent).where(*conditions), session)
    return list(session.exec(statement.order_by(OutboxEvent.id).limit(limit)).all())


# --- Subscriptions -------------------------------------------------------------------------


def subscription_scope(statement, principal: Principal):
    """HQ and each Member State see the subscriptions of their own role and state; admins see all."""
    if principal.role == Role.admin:
        return statement
    return statement.where(Subscription.role == principal.role.value, Subscription.state == principal.state)


def get_subscription(session: Session, principal: Principal, subscription_id: int) -> Subscription:
    """The subscription, or 404 alike for a missing id and another owner's subscription."""
    row = session.exec(
        subscription_scope(select(Subscription).where(Subscription.id == subscription_id), principal)
    ).first()
    if row is None:
        raise not_found("subscription", subscription_id)
    return row


def list_subscriptions(session: Session, principal: Principal, active: bool | None) -> list[Subscription]:
    statement = subscription_scope(select(Subscription), principal)
    if active is not None:
        statement = statement.where(Subscription.active == active)
    return list(session.exec(statement.order_by(Subscription.id)).all())


def create_subscription(
    session: Session, principal: Principal, *, url: str, event_types: list[str], secret: str | None
) -> Subscription:
    """A new active subscription; it receives events written from now on."""
    latest = session.exec(select(func.max(OutboxEvent.id))).one() or 0
    row = Subscription(
        token_id=principal.token_id,
        role=principal.role.value,
        state=principal.state,
        url=url,
        secret=secret or secrets.token_urlsafe(32),
        event_types=event_types,
        cursor=latest,
    )
    session.add(row)
    session.flush()
    return row


def deactivate(session: Session, subscription: Subscription) -> None:
    """Stop a subscription; its pending deliveries end as failed so that none stays pending for ever."""
    subscription.active = False
    session.add(subscription)
    session.exec(
        update(Delivery)
        .where(Delivery.subscription_id == subscription.id, Delivery.status == DeliveryStatus.pending)
        .values(status=DeliveryStatus.failed, last_error="subscription deactivated")
    )
    session.flush()


def list_deliveries(session: Session, subscription_id: int, status: DeliveryStatus | None, limit: int, offset: int):
    conditions = [Delivery.subscription_id == subscription_id]
    if status is not None:
        conditions.append(Delivery.status == status)
    count = session.exec(select(func.count()).select_from(Delivery).where(*conditions)).one()
    rows = session.exec(
        select(Delivery, OutboxEvent.type)
        .join(OutboxEvent, OutboxEvent.id == Delivery.event_id)
        .where(*conditions)
        .order_by(Delivery.id.desc())
        .limit(limit)
        .offset(offset)
    ).all()
    return rows, count


# --- Enqueue: outbox events become deliveries ----------------------------------------------


def _for_update(session: Session, statement, **options):
    """Row locks on PostgreSQL, so that several workers share the work; SQLite runs one worker."""
    if session.get_bind().dialect.name == "postgresql":
        return statement.with_for_update(skip_locked=True, **options)
    return statement


def _subscription_events(subscription: Subscription) -> list:
    conditions = event_visibility(subscription.role, subscription.state)
    if subscription.event_types:
        conditions.append(OutboxEvent.type.in_(subscription.event_types))
    return conditions


def _new_events(session: Session, subscription: Subscription, top: int, now: datetime) -> tuple[list[int], int]:
    """Ids of matching events past the cursor (and late commits behind it), and the new cursor."""
    undelivered = ~exists().where(Delivery.subscription_id == subscription.id, Delivery.event_id == OutboxEvent.id)
    event_id = col(OutboxEvent.id)
    # An event whose transaction committed after a later id was enqueued sits behind the cursor: look back briefly.
    late = (event_id <= subscription.cursor) & (OutboxEvent.at >= max(now - LOOKBACK, subscription.created_at))
    ids = session.exec(
        select(OutboxEvent.id)
        .where(
            or_(event_id > subscription.cursor, late),
            event_id <= top,
            undelivered,
            *_subscription_events(subscription),
        )
        .order_by(OutboxEvent.id)
        .limit(ENQUEUE_BATCH)
    ).all()
    cursor = ids[-1] if len(ids) == ENQUEUE_BATCH else top
    assert cursor is not None, "outbox ids are primary keys"
    return list(ids), max(cursor, subscription.cursor)


def enqueue(session: Session, *, now: datetime | None = None) -> int:
    """Add a pending delivery per new event and active subscription that may see it; the caller commits."""
    now = now or utcnow()
    top = session.exec(select(func.max(OutboxEvent.id))).one() or 0
    subscriptions = session.exec(
        _for_update(session, select(Subscription).where(Subscription.active).order_by(Subscription.id))
    ).all()
    added = 0
    for subscription in subscriptions:
        ids, subscription.cursor = _new_events(session, subscription, top, now)
        session.add_all(Delivery(subscription_id=subscription.id, event_id=i, next_attempt_at=now) for i in ids)
        session.add(subscription)
        added += len(ids)
    session.flush()
    return added


# --- Dispatch: send due deliveries -----------------------------------------------------------


@dataclass(frozen=True)
class Outgoing:
    """What one attempt needs, read while the delivery is claimed."""

    delivery_id: int
    event_type: str
    url: str
    secret: str
    body: bytes


def event_body(event: OutboxEvent) -> bytes:
    """The exact bytes that are signed and sent."""
    document = {
        "id": event.id,
        "type": event.type,
        "at": event.at,
        "state": event.state,
        "entity": event.entity,
        "entity_id": event.entity_id,
        "payload": event.payload,
    }
    return json.dumps(jsonable_encoder(document), separators=(",", ":"), ensure_ascii=False).encode()


def sign(secret: str, body: bytes, timestamp: int) -> str:
    """``X-Roster-Signature``: ``t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>." + body>``.

    The timestamp is signed with the body so that a receiver can refuse an old delivery replayed
    by whoever recorded it (the README's recipe refuses anything older than five minutes); each
    attempt is signed afresh, so a retry an hour later is not mistaken for a replay.
    """
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def backoff(attempts: int) -> timedelta:
    """The wait after the ``attempts``-th failed attempt: 10 s, 20 s, 40 s, ... at most an hour."""
    return min(FIRST_RETRY * 2 ** (attempts - 1), MAX_RETRY)


def _claim(engine: Engine, now: datetime, batch: int) -> list[Outgoing]:
    """Take due deliveries and hold them for a lease, so that other workers skip them while we send."""
    lease = now + timedelta(seconds=TIMEOUT * batch + 60)
    with Session(engine) as session:
        rows = session.exec(
            _for_update(
                session,
                select(Delivery, Subscription, OutboxEvent)
                .join(Subscription, Subscription.id == Delivery.subscription_id)
                .join(OutboxEvent, OutboxEvent.id == Delivery.event_id)
                .where(Delivery.status == DeliveryStatus.pending, Delivery.next_attempt_at <= now, Subscription.active)
                .order_by(Delivery.next_attempt_at, Delivery.id)
                .limit(batch),
                of=Delivery,
            )
        ).all()
        claimed = [Outgoing(d.id, e.type, s.url, s.secret, event_body(e)) for d, s, e in rows]
        for delivery, _, _ in rows:
            delivery.next_attempt_at = lease
            session.add(delivery)
        session.commit()
    return claimed


def _host_port(url: httpx.URL) -> tuple[str, int]:
    return url.raw_host.decode("ascii"), url.port or (443 if url.scheme == "https" else 80)


def check_target(url: str, allowed: Sequence[str] = ()) -> None:
    """targets.Refused, saying why, unless every address the URL's host resolves to is fit to call."""
    targets.check(*_host_port(httpx.URL(url)), targets.networks(allowed))


def _pinned(url: str, allowed: Sequence[str]) -> tuple[httpx.URL, dict[str, str], dict[str, str]]:
    """The URL with its host replaced by the address just checked, the Host header and the TLS name.

    Resolving once and connecting to that very address closes DNS rebinding: a name that answered
    a public address at subscription and answers 127.0.0.1 now is refused, not followed. The Host
    header and SNI keep the name, so virtual hosts and certificate checks work as with the name.
    """
    parsed = httpx.URL(url)
    host, port = _host_port(parsed)
    address = str(targets.check(host, port, targets.networks(allowed))[0])
    extensions = {"sni_hostname": host} if parsed.scheme == "https" and address != host.strip("[]") else {}
    return parsed.copy_with(host=address), {"Host": parsed.netloc.decode("ascii")}, extensions


def _send(client: httpx.Client, item: Outgoing, now: datetime, allowed: Sequence[str]) -> tuple[int | None, str | None]:
    """One POST to the checked address; the status code (None if not sent) and an error text unless it was 2xx."""
    try:
        url, host_header, extensions = _pinned(item.url, allowed)
    except targets.Refused as exc:
        return None, f"refused: {exc}"[:1000]
    except (httpx.InvalidURL, UnicodeError, ValueError) as exc:
        return None, f"{type(exc).__name__}: {exc}"[:1000]
    headers = host_header | {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-Roster-Event": item.event_type,
        "X-Roster-Delivery": str(item.delivery_id),
        "X-Roster-Signature": sign(item.secret, item.body, int(now.timestamp())),
    }
    try:
        with client.stream(
            "POST", url, content=item.body, headers=headers, timeout=TIMEOUT, extensions=extensions
        ) as response:
            code = response.status_code
    except (httpx.HTTPError, httpx.InvalidURL, OSError, ValueError) as exc:
        return None, f"{type(exc).__name__}: {exc}"[:1000]
    return code, None if 200 <= code < 300 else f"HTTP {code}"


def _record(engine: Engine, item: Outgoing, code: int | None, error: str | None, now: datetime) -> None:
    with Session(engine) as session:
        delivery = session.get(Delivery, item.delivery_id)
        if delivery is None or delivery.status != DeliveryStatus.pending:
            return
        delivery.attempts += 1
        delivery.last_status_code, delivery.last_error = code, error
        if error is None:
            delivery.status, delivery.delivered_at = DeliveryStatus.delivered, now
        elif delivery.attempts >= MAX_ATTEMPTS:
            delivery.status = DeliveryStatus.failed
        else:
            delivery.next_attempt_at = now + backoff(delivery.attempts)
        session.add(delivery)
        session.commit()


def dispatch_once(
    engine: Engine,
    *,
    client: httpx.Client | None = None,
    now: datetime | None = None,
    batch: int = 50,
    allowed: Sequence[str] = (),
) -> int:
    """Send the due pending deliveries once each; returns how many were attempted.

    Each target is resolved and checked again (``allowed``: the networks of
    ROSTER_WEBHOOK_ALLOWED_NETWORKS), then called at the checked address. The default client keeps
    no idle connection: a pool is keyed by address, and a connection opened under one host name
    must not carry another name's delivery to the same address.
    """
    now = now or utcnow()
    claimed = _claim(engine, now, batch)
    if not claimed:
        return 0
    own_client = client is None
    client = client or httpx.Client(
        timeout=TIMEOUT, follow_redirects=False, limits=httpx.Limits(max_keepalive_connections=0)
    )
    try:
        for item in claimed:
            code, error = _send(client, item, now, allowed)
            if error:
                logger.info("webhook delivery %s to %s failed: %s", item.delivery_id, item.url, error)
            _record(engine, item, code, error, now)
    finally:
        if own_client:
            client.close()
    return len(claimed)
