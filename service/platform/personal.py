"""Which role sees which personal field of an expert: the one matrix every surface applies.

The UN's Personal Data Protection and Privacy Principles ask for proportionality and necessity: a role sees
a person's data only where its work needs it. Matching needs a person's name, nationality (not deployed to
their own country), gender (gender targets), grade, skills, languages, levels, availability and leave, and
which credentials they hold through which date. It needs neither their e-mail nor their national id:

| field | admin | hq | planner | owning Member State |
|---|---|---|---|---|
| full_name, nationality, gender, grade, availability, leave, credentials (code, dates) | yes | yes | yes | yes |
| email | yes | yes (contact for a selection) | no | yes |
| national_id | yes | no (duplicates: "same national id", not the id) | no | yes |
| credentials' verified_by (the name of the person who checked) | yes | yes | no | yes |

Another Member State sees none of an expert's fields: it never sees the record at all (the repositories'
``scope``). A field a role may not see is answered as null, so that every role's answer has the same shape.
The surfaces that show an expert's record (the API's answers, the spreadsheet exports, the pages, the
events and webhooks) all go through ``redact_expert`` or ``hidden_fields``; ``docs/privacy.md`` lists them.
"""

from collections.abc import Iterable, Mapping
from enum import StrEnum
from typing import Any, TypeVar

from fastapi.encoders import jsonable_encoder
from pydantic import BaseModel
from sqlalchemy import Connection, insert
from sqlmodel import Session

from schemas.enums import Role
from service.platform import audit
from service.platform.auth import Principal
from service.platform.tables import AuditEntry, utcnow


class Viewer(StrEnum):
    """Who looks at a record: a role, or the Member State that owns it."""

    admin = "admin"
    hq = "hq"
    planner = "planner"
    owner = "owner"


EVERYONE = frozenset(Viewer)
# Personal fields of an expert (by their name in ExpertPublic), and who sees each. A field not listed here is
# not personal data (an id, the category, the source, the version) and everyone who sees the record sees it.
MATRIX: dict[str, frozenset[Viewer]] = {
    "full_name": EVERYONE,
    "nationality": EVERYONE,
    "gender": EVERYONE,
    "grade": EVERYONE,
    "availability": EVERYONE,
    "leave": EVERYONE,
    "credentials": EVERYONE,
    "screening_valid_until": EVERYONE,
    "email": frozenset({Viewer.admin, Viewer.hq, Viewer.owner}),
    "national_id": frozenset({Viewer.admin, Viewer.owner}),
    "credentials.verified_by": frozenset({Viewer.admin, Viewer.hq, Viewer.owner}),
}
# Search answers and lists never carry these, whoever asks: a list does not need them, and the record that
# shows them (``GET /experts/{id}``) has its every reading audited.
LIST_HIDDEN = frozenset({"national_id"})
# Fields whose every reading is itself recorded in the audit trail (who viewed them, when, whose).
AUDITED = frozenset({"national_id"})
# What identifies the person, for erasure and the subject-access export: gone after an erasure.
IDENTIFYING = ("full_name", "email", "national_id")


# What at least one viewer may not see: what a record read by every role (an event) must leave out.
HIDDEN_FROM_SOME = frozenset(name for name, allowed in MATRIX.items() if allowed != EVERYONE)


def viewer(principal: Principal, owner_state: str | None) -> Viewer:
    """How ``principal`` sees a record owned by ``owner_state`` (None: UN staff, owned by no state).

    A Member State only ever reaches its own records (the repositories' scope): it is their owner.
    """
    if principal.role == Role.member_state:
        if principal.state is None or principal.state != owner_state:
            raise PermissionError("a Member State sees only its own experts: scope the query first")
        return Viewer.owner
    return Viewer(principal.role.value)


def hidden_fields(who: Viewer) -> frozenset[str]:
    """The personal fields (``credentials.verified_by`` for a nested one) that ``who`` may not see."""
    return frozenset(name for name, allowed in MATRIX.items() if who not in allowed)


def sees(who: Viewer, field: str) -> bool:
    return who in MATRIX.get(field, EVERYONE)


Model = TypeVar("Model", bound=BaseModel)


def redact_expert(record: Model, principal: Principal) -> Model:
    """The expert's record as ``principal`` may see it: hidden fields null (a copy; the record is left alone)."""
    hidden = hidden_fields(viewer(principal, getattr(record, "state", None)))
    if not hidden:
        return record
    return record.model_copy(update=_nulls(record, hidden))


def redact_dict(record: dict[str, Any], who: Viewer) -> dict[str, Any]:
    """The same for an expert's record as JSON data (an event's payload, an export's row)."""
    return _redact_dict(record, hidden_fields(who))


def for_everyone(record: dict[str, Any]) -> dict[str, Any]:
    """Only what every viewer may see: an event is one row that reaches the subscribers of every role."""
    return _redact_dict(record, HIDDEN_FROM_SOME)


def _redact_dict(record: dict[str, Any], hidden: frozenset[str]) -> dict[str, Any]:
    if not hidden:
        return record
    out = {name: (None if name in hidden else value) for name, value in record.items()}
    nested = _nested(hidden, "credentials")
    if nested and isinstance(out.get("credentials"), list):
        out["credentials"] = [
            {k: (None if k in nested else v) for k, v in c.items()} if isinstance(c, dict) else c
            for c in out["credentials"]
        ]
    return out


def _nested(hidden: Iterable[str], parent: str) -> frozenset[str]:
    return frozenset(name.split(".", 1)[1] for name in hidden if name.startswith(parent + "."))


def _nulls(record: BaseModel, hidden: frozenset[str]) -> dict[str, Any]:
    update: dict[str, Any] = {name: None for name in hidden if "." not in name and hasattr(record, name)}
    nested = _nested(hidden, "credentials")
    if nested and getattr(record, "credentials", None):
        update["credentials"] = [c.model_copy(update=dict.fromkeys(nested)) for c in record.credentials]
    return update


# --- Audited access ----------------------------------------------------------------------------------------------
# Who was shown an AUDITED field of whom, in the audit trail: the action, the expert, the fields' names and never
# their values (the trail must not become a second copy of the data it guards).
VIEW = "view_personal"
EXPORT = "export_personal"
_INSERT = insert(AuditEntry.__table__)


def record_view(
    bind: Session | Connection, principal: Principal, expert_ids: Iterable[int], fields: Iterable[str]
) -> int:
    """Record that ``principal`` was shown the AUDITED ``fields`` of these experts: one entry each; how many."""
    audited, ids = sorted(AUDITED.intersection(fields)), sorted(set(expert_ids))
    if not audited or not ids:
        return 0
    at = utcnow()
    _connection(bind).execute(
        _INSERT, [audit.row(principal, VIEW, "expert", i, after={"fields": audited}, at=at) for i in ids]
    )
    return len(ids)


def record_views(bind: Session | Connection, principal: Principal, shown: Iterable[BaseModel]) -> int:
    """Record the AUDITED fields that these records, as shown (redacted already), hold: an entry per expert."""
    rows = [audit.row(principal, VIEW, "expert", r.id, after={"fields": f}) for r in shown if (f := _audited(r))]
    if rows:
        _connection(bind).execute(_INSERT, rows)
    return len(rows)


def record_export(
    bind: Session | Connection, principal: Principal, *, count: int, fields: Iterable[str], filters: Mapping[str, Any]
) -> bool:
    """Record an export that showed AUDITED ``fields`` of ``count`` experts: one entry, with the filters it had."""
    audited = sorted(AUDITED.intersection(fields))
    if not audited or not count:
        return False
    after = {"fields": audited, "count": count, "filters": jsonable_encoder(dict(filters))}
    _connection(bind).execute(_INSERT, audit.row(principal, EXPORT, "expert", "*", after=after))
    return True


def _audited(record: BaseModel) -> list[str]:
    return sorted(name for name in AUDITED if getattr(record, name, None) is not None)


def _connection(bind: Session | Connection) -> Connection:
    return bind.connection() if isinstance(bind, Session) else bind
