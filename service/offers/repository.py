"""Member State offers: persistence, validation against reference data, the state scope."""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from enum import Enum
from functools import cache

import psycopg
from psycopg.types.json import Json
from sqlalchemy import JSON, bindparam, insert
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from schemas.enums import READINESS_RANK, AssessmentResult, OfferStatus, Readiness, Role
from schemas.roster import OFFER_NULLABLE, AssessmentCreate, AssessmentPublic, OfferCreate, OfferPublic, OfferUpdate
from service.platform import audit
from service.platform.auth import Principal
from service.platform.errors import Conflict, Invalid
from service.platform.queries import get_scoped, page, violates
from service.platform.readpool import ReadPool, change
from service.platform.tables import Expert, Offer, OfferAssessment, utcnow
from service.reference import credentials
from service.reference.repository import all_exist, all_exist_params, asked_for, check

MEMBER_STATE_STATUSES = {OfferStatus.draft, OfferStatus.submitted, OfferStatus.withdrawn}
PLEDGE_ONLY = (
    "a new offer is pledged: readiness rises only after the UN's assessment visit, which HQ records "
    "(POST /offers/{id}/assessments); leave readiness out or send pledged"
)
READINESS_BY_HQ = (
    "readiness changes only through POST /offers/{id}/readiness (HQ, with a reason) or a recorded "
    "assessment visit: leave readiness out of this change"
)


def to_public(offer: Offer) -> OfferPublic:
    return OfferPublic.model_validate(offer.model_dump() | {"credentials": credentials.public(offer.credentials)})


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
    _check_fields(principal, offer, changed)
    check(session, *_references(offer, changed))
    if "expert_ids" in changed and offer["expert_ids"]:
        _check_named_experts(session, offer["state"], offer["expert_ids"])


def _references(offer: dict, changed: dict) -> list[tuple[str, str, list]]:
    """(field, kind, codes) for each changed field that names reference data."""
    references = {
        "state": ("state", [offer["state"]]),
        "skills": ("skill", [s["code"] for s in offer["skills"]]),
        "excluded_missions": ("mission", offer["excluded_missions"]),
        "excluded_states": ("state", offer["excluded_states"]),
    }
    return [(field, kind, codes) for field, (kind, codes) in references.items() if field in changed]


def _check_fields(principal: Principal, offer: dict, changed: dict) -> None:
    """What can be checked without the database."""
    available_from, available_to = offer["available_from"], offer["available_to"]
    if available_to < available_from:
        raise Invalid(
            "available_to",
            f"available_to {available_to} is before available_from {available_from}: "
            "change both, so that the offer's window starts before it ends",
        )
    if "expires_on" in changed and offer["expires_on"] < date.today():
        raise Invalid("expires_on", f"expires_on {offer['expires_on']} is in the past: give a future date to renew")
    if "status" in changed and principal.role == Role.member_state and offer["status"] not in MEMBER_STATE_STATUSES:
        allowed = ", ".join(sorted(MEMBER_STATE_STATUSES))
        raise Invalid("status", f"a Member State may set status to {allowed}; planners accept offers")
    if offer["slots_used"] > offer["slots"]:
        raise Invalid("slots", f"{offer['slots_used']} slots are already in use: slots cannot go below that")


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
_COLUMNS = [c.name for c in Offer.__table__.c if c.name != "id"]
_JSON = {c.name for c in Offer.__table__.c if isinstance(c.type, JSON)}


@contextmanager
def _title_unique(state: str, title: str) -> Iterator[None]:
    """The database refuses a second offer of one state with the same title: answer 409 then.

    No look-up beforehand: a write costs one round trip less, and two at once cannot both pass it.
    """
    # made beforehand: the row cannot be read any more once the write failed
    taken = f"{state} already has an offer titled {title!r}: renew or update that one"
    try:
        yield
    except (IntegrityError, psycopg.IntegrityError) as error:  # psycopg's own from a write on the event loop
        if violates(error, _UNIQUE_TITLE):
            raise Conflict(taken) from error
        raise


def _new(principal: Principal, data: OfferCreate) -> dict:
    """A new offer's values, its state set by the token's scope."""
    state = principal.state if principal.role == Role.member_state else data.state
    if principal.role == Role.member_state and data.state not in (None, principal.state):
        raise Invalid("state", f"a {principal.state} token can only register offers for {principal.state}")
    if state is None:
        raise Invalid("state", "name the offering Member State (ISO3) in 'state'")
    if data.readiness != Readiness.pledged:
        raise Invalid("readiness", PLEDGE_ONLY)
    now = utcnow()
    values = data.model_dump(exclude={"credentials"})
    return values | {"state": state, "slots_used": 0, "version": 1, "created_at": now, "updated_at": now}


def create(session: Session, principal: Principal, data: OfferCreate) -> OfferPublic:
    """Insert a new offer, as one plain INSERT (no ORM object: it is answered, not read back), and the
    credentials it attests."""
    offer = _new(principal, data)
    _check(session, principal, offer, offer)
    credentials.check(session, "credentials", data.credentials)
    with _title_unique(offer["state"], data.title):
        offer["id"] = session.connection().execute(_INSERT, offer).scalar_one()
    attested = credentials.rows(data.credentials, principal)
    for row in attested:
        row.offer_id = offer["id"]
    session.add_all(attested)
    session.flush()
    return OfferPublic.model_validate(offer | {"credentials": credentials.public(attested)})


async def create_on_loop(pool: ReadPool, principal: Principal, data: OfferCreate) -> OfferPublic | None:
    """Insert a new offer and its audit entry in one statement on the event loop (PostgreSQL): no
    thread, no session, one round trip. None, with nothing written, when it names an unknown code,
    or experts: then ``create`` (in a thread) checks them and says which is wrong."""
    offer = _new(principal, data)
    _check_fields(principal, offer, offer)
    if offer["expert_ids"] or data.credentials:
        return None
    asked = asked_for(_references(offer, offer))
    public = OfferPublic.model_validate(
        offer | {"id": 0, "credentials": []}
    )  # the id is the database's; the audit entry's too
    params = {name: _param(name, offer[name]) for name in _COLUMNS} | all_exist_params(asked)
    params |= audit.made_params(principal, "create", "offer", public.model_dump_json(), offer["created_at"])
    with _title_unique(offer["state"], data.title):
        made = await change(pool, _insert_on_loop(tuple(kind for _, kind, _ in asked)), params)
    return public.model_copy(update={"id": made[0][0]}) if made else None


def _param(name: str, value: object) -> object:
    """A value as psycopg sends it for its column: JSON columns as JSON, enums as their values."""
    if name in _JSON:
        return Json(value)
    return value.value if isinstance(value, Enum) else value


@cache
def _insert_on_loop(kinds: tuple[str, ...]):
    """The offer (if each code of each kind exists) and its audit entry; answers the offer's id."""
    columns = Offer.__table__.c
    values = select(*(bindparam(name, type_=columns[name].type) for name in _COLUMNS)).where(*all_exist(kinds))
    made = insert(Offer.__table__).from_select(_COLUMNS, values).returning(columns.id).cte("made")
    return select(made.c.id).add_cte(audit.insert_made(made.c.id))


def update(session: Session, principal: Principal, offer: Offer, data: OfferUpdate) -> Offer:
    changes = data.model_dump(exclude_unset=True)
    for name, value in changes.items():
        if value is None and name not in OFFER_NULLABLE:
            raise Invalid(name, f"{name} cannot be null: leave it out to keep the current value")
    if changes.get("readiness", offer.readiness) != offer.readiness:
        raise Invalid("readiness", READINESS_BY_HQ)
    attested = changes.pop("credentials", None)
    offer.sqlmodel_update(changes)
    _check(session, principal, offer.model_dump(), changes)
    if data.credentials is not None and attested is not None:
        credentials.check(session, "credentials", data.credentials)
        offer.credentials = credentials.replace(offer.credentials, data.credentials, principal)
    offer.version += 1
    offer.updated_at = utcnow()
    with _title_unique(offer.state, offer.title):
        session.flush()
    return offer


def _latest_first(offer_id: int):
    return (
        select(OfferAssessment)
        .where(OfferAssessment.offer_id == offer_id)
        .order_by(OfferAssessment.visited_on.desc(), OfferAssessment.id.desc())
    )


def assessments(session: Session, offer_id: int) -> list[AssessmentPublic]:
    """The offer's assessment visits, the latest first."""
    return [AssessmentPublic.model_validate(r.model_dump()) for r in session.exec(_latest_first(offer_id)).all()]


def add_assessment(session: Session, principal: Principal, offer: Offer, visit: AssessmentCreate) -> AssessmentPublic:
    """Record a visit; a passed one raises the offer to `assessed` if it was below."""
    if visit.visited_on > date.today():
        raise Invalid("visited_on", f"{visit.visited_on} is after today: record a visit once it has taken place")
    row = OfferAssessment(offer_id=offer.id, recorded_by=principal.name, **visit.model_dump())
    session.add(row)
    if visit.result == AssessmentResult.passed and READINESS_RANK[offer.readiness] < READINESS_RANK[Readiness.assessed]:
        _set_readiness(offer, Readiness.assessed)
    session.flush()
    return AssessmentPublic.model_validate(row.model_dump())


def set_readiness(session: Session, offer: Offer, readiness: Readiness) -> None:
    """HQ's change of readiness: above `pledged` only on a passed visit, the latest one."""
    if readiness != Readiness.pledged:
        latest = session.exec(_latest_first(offer.id).limit(1)).first()
        if latest is None or latest.result != AssessmentResult.passed:
            found = (
                "no assessment visit is recorded" if latest is None else f"the last visit ({latest.visited_on}) failed"
            )
            raise Invalid(
                "readiness",
                f"{found}: record a passed one first (POST /offers/{offer.id}/assessments), or set pledged",
            )
    _set_readiness(offer, readiness)
    session.flush()


def _set_readiness(offer: Offer, readiness: Readiness) -> None:
    offer.readiness = readiness
    offer.version += 1
    offer.updated_at = utcnow()
