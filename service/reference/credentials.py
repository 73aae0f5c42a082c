"""Credential types (reference data) and the credentials that experts hold and offers attest: checked, built, shown.

The roster and the offers store their holders' credentials through these functions, and the requests take a new
position's default required types from here, so a type's validity rule and its defaults have one definition.
"""

import calendar
from collections.abc import Iterable, Mapping, Sequence
from datetime import date

from sqlmodel import Session, col, select

from schemas.enums import SCREENING, Category
from schemas.roster import CredentialIn, CredentialPublic
from service.platform.auth import Principal
from service.platform.errors import Invalid
from service.platform.tables import Credential, CredentialType


def types(session: Session, active: bool | None = None) -> Sequence[CredentialType]:
    statement = select(CredentialType).order_by(CredentialType.code)
    if active is not None:
        statement = statement.where(CredentialType.active == active)
    return session.exec(statement).all()


def get_type(session: Session, code: str) -> CredentialType | None:
    return session.get(CredentialType, code)


def names(session: Session) -> dict[str, str]:
    """Every type's name by code, for explanations in words."""
    return {t.code: t.name for t in types(session)}


def check_codes(session: Session, field: str, codes: Sequence[str]) -> dict[str, CredentialType]:
    """The types named, all known and active; else Invalid naming the unknown or retired ones."""
    wanted = set(codes)
    if not wanted:
        return {}
    found = {t.code: t for t in session.exec(select(CredentialType).where(col(CredentialType.code).in_(wanted)))}
    return known_codes(field, wanted, found)


def known_codes(field: str, codes: Iterable[str], types: Mapping[str, CredentialType]) -> dict[str, CredentialType]:
    """``check_codes`` against types read before (an import reads them once, not once a row)."""
    wanted = set(codes)
    found = {code: types[code] for code in wanted if code in types}
    if unknown := sorted(wanted - set(found)):
        raise Invalid(
            field,
            f"unknown credential type(s) {', '.join(unknown)}: see GET /reference/credential-types for valid codes",
        )
    if retired := sorted(c for c, t in found.items() if not t.active):
        raise Invalid(field, f"credential type(s) {', '.join(retired)} are no longer in use: choose another type")
    return found


def months_later(day: date, months: int) -> date:
    """The same day of the month ``months`` later (the month's last day if it is shorter)."""
    year, month = divmod(day.month - 1 + months, 12)
    year, month = day.year + year, month + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def check(
    session: Session, field: str, items: Sequence[CredentialIn], types: Mapping[str, CredentialType] | None = None
) -> None:
    """Each credential names an active type and lasts no longer than the type allows from its issue (``types``:
    every type, read before, instead of a query)."""
    codes = [c.code for c in items]
    known = check_codes(session, field, codes) if types is None else known_codes(field, codes, types)
    for i, c in enumerate(items):
        months = known[c.code].validity_months
        if months is None or c.issued_on is None:
            continue
        latest = months_later(c.issued_on, months)
        if c.expires_on > latest:
            raise Invalid(
                f"{field}.{i}.expires_on",
                f"a {known[c.code].name} issued on {c.issued_on} is valid for at most {months} months: "
                f"expires_on can be {latest} at the latest",
            )


def rows(items: Sequence[CredentialIn], principal: Principal, today: date | None = None) -> list[Credential]:
    """New credential rows (holder set by the relationship); who verified and when default to the caller, today."""
    day = today or date.today()
    return [
        Credential(
            code=c.code,
            issued_on=c.issued_on,
            expires_on=c.expires_on,
            verified_by=c.verified_by or principal.name,
            verified_on=c.verified_on or day,
        )
        for c in items
    ]


def replace(held: list[Credential], items: Sequence[CredentialIn], principal: Principal) -> list[Credential]:
    """The new list. A type held already keeps its row, changed in place (the database allows one row per holder
    and type, and would see a new one before the old one's delete); its reminder re-arms if the expiry moved."""
    by_code = {c.code: c for c in held}
    out = []
    for item in items:
        row = by_code.get(item.code)
        if row is None:
            out += rows([item], principal)
            continue
        if (row.issued_on, row.expires_on) != (item.issued_on, item.expires_on):
            row.issued_on, row.expires_on, row.reminded_for = item.issued_on, item.expires_on, None
            row.verified_by, row.verified_on = item.verified_by or principal.name, item.verified_on or date.today()
        else:
            row.verified_by = item.verified_by or row.verified_by
            row.verified_on = item.verified_on or row.verified_on
        out.append(row)
    return out


def with_screening(held: list[Credential], until: date | None, principal: Principal) -> list[Credential]:
    """The list with the human-rights screening set through ``until`` (None: removed), the others kept."""
    screening = [c for c in held if c.code == SCREENING]
    others = [c for c in held if c.code != SCREENING]
    return others + replace(screening, listing_screening([], until, held), principal)


def listing_screening(
    items: Sequence[CredentialIn], until: date | None, held: Sequence[Credential]
) -> list[CredentialIn]:
    """The list with the screening field folded in (None: HR-SCREENING left out), so that one ``replace`` changes
    the held screening in place (its issue day kept when its expiry stays) rather than a delete and an insert."""
    others = [c for c in items if c.code != SCREENING]
    if until is None:
        return others
    if any(c.code == SCREENING for c in items):
        return list(items)  # the schema made sure that the two agree
    stored = next((c for c in held if c.code == SCREENING and c.expires_on == until), None)
    return [*others, CredentialIn(code=SCREENING, expires_on=until, issued_on=stored.issued_on if stored else None)]


def new_holder(items: Sequence[CredentialIn], screening: date | None, principal: Principal) -> list[Credential]:
    """A new expert's credentials: those listed, and the screening when given as the field of its own."""
    held = rows(items, principal)
    return held if screening is None else with_screening(held, screening, principal)


def public(held: Sequence[Credential]) -> list[CredentialPublic]:
    return [
        CredentialPublic(
            code=c.code,
            issued_on=c.issued_on,
            expires_on=c.expires_on,
            verified_by=c.verified_by,
            verified_on=c.verified_on,
        )
        for c in sorted(held, key=lambda c: c.code)
    ]


def screening_of(held: Sequence[Credential] | Sequence[CredentialPublic]) -> date | None:
    return next((c.expires_on for c in held if c.code == SCREENING), None)


def defaults_for(session: Session, category: Category | None) -> list[str]:
    """The types a new position of this category requires unless HQ says otherwise (any category: those
    required of every category)."""
    wanted = {category.value} if category is not None else {c.value for c in Category}
    return [t.code for t in types(session, active=True) if wanted <= set(t.default_for)]
