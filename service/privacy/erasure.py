"""Erasure of one person everywhere (issue 23): ``erase`` pseudonymises the expert and scrubs every copy.

What goes: what identifies the person (``personal.IDENTIFYING``: full name, e-mail, national id). On the
expert's row the name becomes the pseudonym ("Erased person E17": stable, so plans, deployments and counts
still read), the e-mail and national id null, and the row goes inactive; the expert's credentials keep their
types and dates, their ``verified_by`` (a name) becomes ``(erased)``. Everywhere else the person's values
were copied (``PLACES``: the audit log's before and after, event payloads, kept idempotent answers, plans'
stored instances, results and messages, notes and free texts), they are replaced as ``scrub`` says.

What stays, on purpose: the row itself (foreign keys of plans, deployments, nominations stay intact), and what
does not identify a person alone and which the plans and reports count on: category, nationality, gender,
grade, skills, languages, levels, availability and leave, credentials' types and dates. Who acted (the
audit's actor, ``*_by`` columns) are API tokens' names, not the person's: they stay. Other experts' rows stay
as they are, even one sharing a value (a namesake, or the same person put forward by another Member State:
erase that record too). A namesake's name in a free text or an event is replaced all the same: a text cannot
say whom it names.

The database keeps old row versions until it reclaims them (PostgreSQL's VACUUM, SQLite's free pages): a
dump no longer shows them, the files may, until then.
"""

from collections.abc import Iterable
from typing import Literal

from sqlalchemy import ColumnElement, Table, Text, and_, cast, delete, func, insert, or_, select, text
from sqlmodel import Session, SQLModel

from schemas.ids import SupplierId
from service.platform.errors import not_found
from service.platform.tables import ErasureInProgress, Expert, utcnow
from service.privacy.scrub import ERASED, Person, Scrubber

Kind = Literal["json", "json_text", "text"]
# Every column where a person's name, e-mail or national id may have been copied, and how it holds it.
PLACES: dict[str, dict[str, Kind]] = {
    "audit_log": {"before": "json", "after": "json"},
    "outbox_event": {"payload": "json"},  # webhook bodies are made from it at each attempt, never stored
    "idempotency_key": {"response_body": "json_text"},
    "plan": {
        "parameters": "json",
        "progress": "json",
        "summary": "json",
        "error": "text",
        "instance": "json_text",
        "result": "json_text",
    },
    "plan_assignment": {"score": "json"},
    "plan_unfilled": {"reason": "text", "detail": "json"},
    "deployment": {
        "note": "text",
        "override_reason": "text",
        "consent_note": "text",
        "at_risk": "json",
        "overridden_rules": "json",
    },
    "nomination": {"note": "text", "decision_note": "text"},
    "nomination_call": {"note": "text"},
    "nomination_stage_result": {"assessor": "text", "note": "text"},
    "offer": {"title": "text"},
    "offer_assessment": {"team": "text", "note": "text"},
    "capacity_request": {"title": "text", "description": "text", "benchmark_note": "text", "decision_note": "text"},
    "position": {"title": "text"},
    "credential": {"verified_by": "text"},
    "delivery": {"last_error": "text"},
    "erasure": {"reason": "text", "decision_note": "text"},
}
# The text and JSON columns that hold no copy of a person's data, and why (the test checks that every text or
# JSON column of the schema is in one of the two).
ACTORS = "the names of API tokens (who acted), not the person's"
CODES = "codes, states, kinds, hashes, addresses: never a person's value"
NOT_COPIES: dict[str, tuple[set[str], str]] = {
    "expert": ({"full_name", "email", "national_id", "grade", "state", "nationality"}, "the row itself: erase's"),
    "audit_log": ({"actor_name", "actor_role", "actor_state", "action", "entity", "entity_id"}, ACTORS),
    "api_token": ({"name", "state", "token_hash", "prefix"}, ACTORS),
    "plan": ({"created_by", "lease_owner", "request_ids"}, ACTORS),
    "nomination": ({"state", "supplier_key", "created_by", "decided_by"}, ACTORS),
    "nomination_call": ({"opened_by", "closed_by"}, ACTORS),
    "nomination_stage_result": ({"recorded_by"}, ACTORS),
    "offer_assessment": ({"recorded_by"}, ACTORS),
    "deployment": ({"supplier_key", "contributing_state", "mission", "approved_by", "consent_decided_by"}, ACTORS),
    "plan_assignment": ({"supplier_key", "reviewed_by"}, ACTORS),
    "forbidden_pair": ({"supplier", "created_by"}, ACTORS),
    "capacity_request": ({"mission", "requested_by_state", "requested_by", "decided_by"}, ACTORS),
    "erasure": ({"state", "status", "requested_by", "decided_by", "pseudonym"}, ACTORS),
    "idempotency_key": ({"token_hash", "key", "method", "path", "body_hash", "content_type"}, CODES),
    "outbox_event": ({"type", "state", "entity", "entity_id"}, CODES),
    "offer": (
        {"state", "skills", "levels", "languages", "excluded_missions", "excluded_states", "expert_ids"},
        CODES,
    ),
    "position": (
        {
            "grade_min",
            "grade_max",
            "group",
            "required_skills",
            "desired_skills",
            "languages",
            "assessment_stages",
            "required_credentials",
        },
        CODES,
    ),
    "credential": ({"code"}, CODES),
    "expert_skill": ({"code"}, CODES),
    "expert_language": ({"code"}, CODES),
    "expert_window": ({"kind"}, CODES),
    "nomination_call_state": ({"state"}, CODES),
    "subscription": ({"role", "state", "url", "secret", "event_types"}, CODES),
    "web_session": ({"secret_hash"}, CODES),
    "sign_in_failure": ({"client"}, CODES),
    "data_version": ({"name"}, CODES),
    "member_state": ({"iso3", "name"}, "reference data"),
    "mission": ({"code", "name", "host_states"}, "reference data"),
    "skill": ({"code", "name", "area", "source", "levels"}, "reference data"),
    "credential_type": ({"code", "name", "description", "default_for"}, "reference data"),
}


def pseudonym_of(expert_id: int) -> str:
    """The name an erased expert keeps: stable and countable, the expert's supplier key in it."""
    return f"Erased person {SupplierId(expert=expert_id)}"


def erase(session: Session, expert_id: int, *, pseudonym: str) -> dict[str, int]:
    """Pseudonymise the expert and scrub every copy of their identifying values (no commit); rows changed per table.

    Pending ORM changes are flushed first (so that they are scrubbed too); the session's objects are expired
    afterwards, since rows changed underneath them.
    """
    session.flush()
    expert = session.get(Expert, expert_id)
    if expert is None:
        raise not_found("expert", expert_id)
    scrubber = Scrubber(Person(expert.full_name, expert.email, expert.national_id, pseudonym))
    _pseudonymise(session, expert, pseudonym)
    changed = {"expert": 1}
    tables = SQLModel.metadata.tables
    for name, columns in PLACES.items():
        audit = name == "audit_log"
        if audit:
            audit_rewrite(session, expert_id, allowed=True)
        changed[name] = _scrub_table(session, tables[name], columns, scrubber)
        if audit:  # not reached when the scrub fails: the rollback that follows takes the permission back too
            audit_rewrite(session, expert_id, allowed=False)
    session.expire_all()
    return {name: count for name, count in changed.items() if count}


def _pseudonymise(session: Session, expert: Expert, pseudonym: str) -> None:
    expert.full_name, expert.email, expert.national_id = pseudonym, None, None
    expert.active = False
    expert.version += 1
    expert.updated_at = utcnow()
    for credential in expert.credentials:
        credential.verified_by = ERASED
    session.add(expert)
    session.flush()


def audit_rewrite(session: Session, expert_id: int, *, allowed: bool) -> None:
    """The audit log's guard (migration 0015) lets this transaction rewrite before and after, or no longer."""
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT set_config('roster.erasing', :on, true)"), {"on": "on" if allowed else "off"})
        return
    table = ErasureInProgress.__table__
    if allowed:
        connection.execute(insert(table).values(expert_id=expert_id))
    else:
        connection.execute(delete(table).where(table.c.expert_id == expert_id))


def _holding(column: ColumnElement, patterns: Iterable[str]) -> list[ColumnElement[bool]]:
    """Conditions that find a value in a column's text (as written, and lowered: PostgreSQL's LIKE minds case)."""
    as_text = cast(column, Text)
    found = []
    for pattern in patterns:
        found.append(as_text.contains(pattern, autoescape=True))
        if pattern.lower() != pattern:
            found.append(func.lower(as_text).contains(pattern.lower(), autoescape=True))
    return found


def _scrub_table(session: Session, table: Table, columns: dict[str, Kind], scrubber: Scrubber) -> int:
    """Scrub the rows of ``table`` whose ``columns`` hold one of the person's values; how many changed."""
    patterns = scrubber.person.patterns()
    key = list(table.primary_key.columns)
    wanted = [table.c[name] for name in columns]
    found = or_(*(condition for column in wanted for condition in _holding(column, patterns)))
    connection = session.connection()
    changed = 0
    for row in connection.execute(select(*key, *wanted).where(found)).mappings().all():
        values = {
            name: new
            for name, kind in columns.items()
            if row[name] is not None and (new := _scrubbed(scrubber, kind, row[name])) != row[name]
        }
        if values:
            connection.execute(table.update().where(and_(*(k == row[k.name] for k in key))).values(**values))
            changed += 1
    return changed


def _scrubbed(scrubber: Scrubber, kind: Kind, value):
    if kind == "json":
        return scrubber.data(value)
    if kind == "json_text":
        return scrubber.json_text(value)
    return scrubber.text(value)
