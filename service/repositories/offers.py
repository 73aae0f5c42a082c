"""Member State offers: persistence, validation against reference data, the state scope."""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from schemas.enums import OfferStatus, Role
from schemas.roster import OfferCreate, OfferPublic, OfferUpdate
from service.auth import Principal
from service.errors import Conflict, Invalid
from service.references import check
from service.repositories.common import get_scoped, page, violates
from service.tables import Expert, Offer, utcnow

MEMBER_STATE_STATUSES = {OfferStatus.draft, OfferStatus.submitted, OfferStatus.withdrawn}


def to_public(offer: Offer) -> OfferPublic:
    return OfferPublic.model_validate(offer.model_dump())


def scope(statement, principal: Principal):
    if principal.role == Role.member_state:
        return statement.where(Offer.state == principal.state)
    return statement


def get_visible(session: Session, principal: Principal, offer_id: int) -> Offer:
    return get_scoped(session, Offer, offer_id, principal, scope, "offer")


def list_offers(session: Session, principal: Principal, filters: dict, limit: int, offset: int):
    conditions = [getattr(Offer, name) == value for name, value in filters.items() if value is not None]
    rows, count = page(session, Offer, principal, scope, conditions, (Offer.id,), limit, offset)
    return [to_public(o) for o in rows], count


def _check(session: Session, principal: Principal, offer: dict, changed: dict) -> None:
    """The offer's fields (all of them, changed or not) are consistent and name existing reference data."""
    references = {
        "state": ("state", [offer["state"]]),
        "skills": ("skill", [s["code"] for s in offer["skills"]]),
        "excluded_missions": ("mission", offer["excluded_missions"]),
        "excluded_states": ("state", offer["excluded_states"]),
    }
    check(session, *((field, kind, codes) for field, (kind, codes) in references.items() if field in changed))
    available_from, available_to = offer["available_from"], offer["available_to"]
    if available_to < available_from:
        raise Invalid("available_to", f"available_to {available_to} is before available_from {available_from}")
    if "expires_on" in changed and offer["expires_on"] < date.today():
        raise Invalid("expires_on", f"expires_on {offer['expires_on']} is in the past: give a future date to renew")
    if "status" in changed and principal.role == Role.member_state and offer["status"] not in MEMBER_STATE_STATUSES:
        allowed = ", ".join(sorted(MEMBER_STATE_STATUSES))
        raise Invalid("status", f"a Member State may set status to {allowed}; planners accept offers")
    if offer["slots_used"] > offer["slots"]:
        raise Invalid("slots", f"{offer['slots_used']} slots are already in use: slots cannot go below that")
    if "expert_ids" in changed and offer["expert_ids"]:
        _check_named_experts(session, offer["state"], offer["expert_ids"])


def _check_named_experts(session: Session, state: str, expert_ids: list[int]) -> None:
    ids = set(expert_ids)
    found = set(session.exec(select(Expert.id).where(Expert.id.in_(ids), Expert.state == state)).all())
    missing = sorted(ids - found)
    if missing:
        raise Invalid(
            "expert_ids",
            f"expert id(s) {', '.join(map(str, missing))} are not experts nominated by {state}: "
            "add them with POST /experts first",
        )


_UNIQUE_TITLE = next(c for c in Offer.__table__.constraints if c.name == "uq_offer_state_title")
_INSERT = insert(Offer.__table__).returning(Offer.__table__.c.id)


@contextmanager
def _title_unique(state: str, title: str) -> Iterator[None]:
    """The database refuses a second offer of one state with the same title: answer 409 then.

    No look-up beforehand: a write costs one round trip less, and two at once cannot both pass it.
    """
    taken = f"{state} already has an offer titled {title!r}: renew or update that one"
    try:
        yield
    except IntegrityError as error:  # the row cannot be read any more: the message is made beforehand
        if violates(error, _UNIQUE_TITLE):
            raise Conflict(taken) from error
        raise


def create(session: Session, principal: Principal, data: OfferCreate) -> OfferPublic:
    """Insert a new offer, as one plain INSERT (no ORM object: it is answered, not read back)."""
    state = principal.state if principal.role == Role.member_state else data.state
    if principal.role == Role.member_state and data.state not in (None, principal.state):
        raise Invalid("state", f"a {principal.state} token can only register offers for {principal.state}")
    if state is None:
        raise Invalid("state", "name the offering Member State (ISO3) in 'state'")
    now = utcnow()
    offer = data.model_dump() | {"state": state, "slots_used": 0, "version": 1, "created_at": now, "updated_at": now}
    _check(session, principal, offer, offer)
    with _title_unique(state, data.title):
        offer["id"] = session.connection().execute(_INSERT, offer).scalar_one()
    return OfferPublic.model_validate(offer)


def update(session: Session, principal: Principal, offer: Offer, data: OfferUpdate) -> Offer:
    changes = data.model_dump(exclude_unset=True)
    nullable = {"max_duration_days"}
    for name, value in changes.items():
        if value is None and name not in nullable:
            raise Invalid(name, f"{name} cannot be null: leave it out to keep the current value")
    offer.sqlmodel_update(changes)
    _check(session, principal, offer.model_dump(), changes)
    offer.version += 1
    offer.updated_at = utcnow()
    with _title_unique(offer.state, offer.title):
        session.flush()
    return offer


