"""Importing offers: ownership and key checks on every row, then audited creates and updates, one savepoint each."""

from sqlmodel import Session

from schemas.enums import Role
from schemas.roster import OfferCreate, OfferUpdate
from service.offers import repository as offer_repo
from service.platform import audit
from service.platform.auth import Principal
from service.platform.errors import Conflict, Invalid
from service.spreadsheets import repository
from service.spreadsheets.cells import Row, changes, roster_error
from service.spreadsheets.report import PROGRESS_EVERY, Progress, tell


def plan(session: Session, principal: Principal, rows: list[Row], present: set[str]) -> None:
    existing = repository.offer_keys(session)
    claimed: dict = {}
    for row in rows:
        if row.errors:
            continue
        data: OfferCreate = row.payload
        if principal.role == Role.member_state:
            if data.state not in (None, principal.state):
                row.error("state", f"a {principal.state} token can only register offers for {principal.state}")
                continue
            row.state = principal.state
        else:
            row.state = data.state
        key = (row.state, data.title)
        if row.state and key in claimed:
            row.error(
                "title",
                f"the offer {data.title!r} of {row.state} is also on line {claimed[key]}: "
                "list each offer once per file",
            )
            continue
        claimed[key] = row.line
        row.target = existing.get(key)


UPDATABLE_OFFER = set(OfferUpdate.model_fields)


def write(
    session: Session, principal: Principal, rows: list[Row], present: set[str], counts: dict, progress: Progress | None
) -> None:
    good = [r for r in rows if not r.errors]
    fields = (present & UPDATABLE_OFFER) - {"state"}
    for done, row in enumerate(good, start=1):
        try:
            with session.begin_nested():
                if row.target is None:
                    offer = offer_repo.create(session, principal, row.payload.model_copy(update={"state": row.state}))
                    audit.record(session, principal, "import", "offer", offer.id, after=offer)
                    counts["created"] += 1
                else:
                    _update_offer(session, principal, row, fields, counts)
        except (Invalid, Conflict) as exc:
            roster_error(row, exc, "title")
        if done % PROGRESS_EVERY == 0:
            tell(progress, "writing", done, len(good))


def _update_offer(session: Session, principal: Principal, row: Row, fields: set[str], counts: dict) -> None:
    offer = repository.offer(session, row.target)
    before = offer_repo.to_public(offer)
    diff = changes(before.model_dump(mode="json"), row.payload.model_dump(mode="json"), fields)
    if not diff:
        counts["unchanged"] += 1
        return
    offer_repo.update(session, principal, offer, OfferUpdate.model_validate(diff))
    audit.record(session, principal, "import", "offer", offer.id, before=before, after=offer_repo.to_public(offer))
    counts["updated"] += 1
