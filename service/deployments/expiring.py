"""Credential reminders: one ``credential.expiring`` event per credential of a deployed or nominated expert or offer
that expires within ``credential_reminder_days`` (or has expired), to its state and HQ; a renewal re-arms it.

Deployments sit above nominations, so this is the lowest domain that sees both. The credential's ``reminded_for``
records the expiry a reminder went out for, set in the event's transaction by a conditional update: of two
workers, or of a worker and a renewal, only one wins, so a credential is announced once per expiry.
"""

from collections import defaultdict
from collections.abc import Sequence
from datetime import date, timedelta

from sqlalchemy import Engine, or_, update
from sqlmodel import Session, col, select

from schemas.ids import SupplierId
from schemas.planning import Supplier
from service.deployments.repository import LIVE, suppliers
from service.nominations.repository import LIVE_NOMINATIONS
from service.notifications.outbox import emit
from service.platform.settings import get_settings
from service.platform.tables import Credential, Deployment, Nomination, Position
from service.reference import credentials as reference

EVENT = "credential.expiring"


def emit_expiring(engine: Engine, *, within_days: int | None = None, today: date | None = None) -> int:
    """Announce, once per expiry, the credentials of deployed or nominated suppliers that expire within
    ``within_days`` (default: the setting) or have expired; how many were announced."""
    today = today or date.today()
    days = get_settings().credential_reminder_days if within_days is None else within_days
    with Session(engine) as session:
        due = due_for_reminder(session, today, today + timedelta(days=days))
        if not due:
            return 0
        holders = [_holder(c) for c in due]
        needs = _needs(session, holders, today)
        known = suppliers(session, holders)
        type_names = reference.names(session)
        sent = 0
        for credential, holder in zip(due, holders, strict=True):
            if not _claim(session, credential):
                continue  # another worker announced it, or a renewal moved its expiry: the next round sees that
            supplier = known[holder]
            name = type_names.get(credential.code, credential.code)
            payload = _payload(credential, supplier, name, needs[holder], today)
            emit(session, EVENT, state=supplier.state, entity="credential", entity_id=credential.id, payload=payload)
            sent += 1
        session.commit()
        return sent


def due_for_reminder(session: Session, today: date, horizon: date) -> Sequence[Credential]:
    """Credentials expiring by ``horizon``, not reminded for that expiry, of a supplier with a live deployment or
    a live nomination to a position that has not ended by ``today``."""
    deployed = select(Deployment.expert_id, Deployment.offer_id).where(col(Deployment.status).in_(LIVE))
    nominated = (
        select(Nomination.expert_id, Nomination.offer_id)
        .join(Position, col(Position.id) == Nomination.position_id)
        .where(col(Nomination.status).in_(LIVE_NOMINATIONS), Position.end_date >= today)
    )
    needed = deployed.union(nominated).subquery()
    experts = select(needed.c.expert_id).where(needed.c.expert_id.is_not(None))
    offers = select(needed.c.offer_id).where(needed.c.offer_id.is_not(None))
    return session.exec(
        select(Credential)
        .where(
            Credential.expires_on <= horizon,
            or_(col(Credential.reminded_for).is_(None), Credential.reminded_for != Credential.expires_on),
            or_(col(Credential.expert_id).in_(experts), col(Credential.offer_id).in_(offers)),
        )
        .order_by(col(Credential.id))
    ).all()


def _holder(credential: Credential) -> SupplierId:
    return SupplierId.of(credential.expert_id, credential.offer_id)


def _claim(session: Session, credential: Credential) -> bool:
    """Mark the credential reminded for the expiry read; False if that expiry is gone or was reminded meanwhile."""
    seen = credential.expires_on
    claimed = session.execute(
        update(Credential)
        .where(
            col(Credential.id) == credential.id,
            Credential.expires_on == seen,
            or_(col(Credential.reminded_for).is_(None), Credential.reminded_for != seen),
        )
        .values(reminded_for=seen)
        .execution_options(synchronize_session=False)
    )
    return claimed.rowcount == 1


def _needs(session: Session, holders: list[SupplierId], today: date) -> dict[SupplierId, list[dict]]:
    """What each holder is needed for: its live deployments, then its live nominations to positions not ended."""
    expert_ids = {h.expert for h in holders if h.expert is not None}
    offer_ids = {h.offer for h in holders if h.offer is not None}
    out: dict[SupplierId, list[dict]] = defaultdict(list)
    for d in session.exec(
        select(Deployment)
        .where(
            col(Deployment.status).in_(LIVE),
            or_(col(Deployment.expert_id).in_(expert_ids), col(Deployment.offer_id).in_(offer_ids)),
        )
        .order_by(Deployment.start_date, col(Deployment.id))
    ):
        out[SupplierId.of(d.expert_id, d.offer_id)].append(
            {
                "deployment_id": d.id,
                "position_id": d.position_id,
                "mission": d.mission,
                "start_date": d.start_date,
                "end_date": d.end_date,
                "status": d.status,
            }
        )
    for n, end in session.exec(
        select(Nomination, Position.end_date)
        .join(Position, col(Position.id) == Nomination.position_id)
        .where(
            col(Nomination.status).in_(LIVE_NOMINATIONS),
            Position.end_date >= today,
            or_(col(Nomination.expert_id).in_(expert_ids), col(Nomination.offer_id).in_(offer_ids)),
        )
        .order_by(col(Nomination.id))
    ):
        out[SupplierId.of(n.expert_id, n.offer_id)].append(
            {"nomination_id": n.id, "call_id": n.call_id, "position_id": n.position_id, "end_date": end}
        )
    return out


def _payload(credential: Credential, supplier: Supplier, type_name: str, needs: list[dict], today: date) -> dict:
    return {
        "credential_id": credential.id,
        "code": credential.code,
        "name": type_name,
        "expires_on": credential.expires_on,
        "supplier": supplier.id,
        "supplier_name": supplier.name,
        "needed_for": needs,
        "detail": _words(credential.expires_on, supplier, type_name, needs, today),
    }


def _words(expires_on: date, supplier: Supplier, type_name: str, needs: list[dict], today: date) -> str:
    """E.g. "The medical clearance of Amina Diallo expires on 2027-11-30; needed for deployment 12 (MINUSCA,
    until 2027-12-31), nomination 4 (position 30)"."""
    whose = f"of {supplier.name}" if supplier.kind == "expert" else f"attested for offer {supplier.name!r}"
    verb = "expired" if expires_on < today else "expires"
    uses = [
        f"deployment {n['deployment_id']} ({n['mission'] or 'outside a mission'}, until {n['end_date']})"
        if "deployment_id" in n
        else f"nomination {n['nomination_id']} (position {n['position_id']})"
        for n in needs
    ]
    return f"The {type_name} {whose} {verb} on {expires_on}; needed for {', '.join(uses)}"
