"""The queries of imports: reference codes, natural keys, bulk inserts and stored records read without the ORM."""

from datetime import date
from enum import Enum
from typing import Any

from sqlalchemy import func, insert, text
from sqlmodel import Session, select

from schemas.enums import SCREENING
from service.platform.tables import (
    Credential,
    Expert,
    ExpertLanguage,
    ExpertLevel,
    ExpertSkill,
    ExpertWindow,
    MemberState,
    Offer,
    Skill,
    stored_id,
)
from service.roster.repository import LIST_FIELDS


def skill_codes(session: Session) -> set[str]:
    return set(session.exec(select(Skill.code)).all())


def state_codes(session: Session) -> set[str]:
    return set(session.exec(select(MemberState.iso3)).all())


def expert_keys(session: Session) -> list[tuple[int, str | None, str, str | None, str | None]]:
    """(id, e-mail, nationality, national id, state) of every expert."""
    return list(
        session.exec(select(Expert.id, Expert.email, Expert.nationality, Expert.national_id, Expert.state)).all()
    )


def offer_keys(session: Session) -> dict[tuple[str | None, str], int]:
    """Every offer's id by (state, title)."""
    return {(s, t): stored_id(i) for i, s, t in session.exec(select(Offer.id, Offer.state, Offer.title)).all()}


def expert(session: Session, expert_id: int) -> Expert | None:
    return session.get(Expert, expert_id)


def offer(session: Session, offer_id: int) -> Offer | None:
    return session.get(Offer, offer_id)


def insert_rows(session: Session, rows: dict[type, list[dict]]) -> None:
    """Each table's rows in one multi-row INSERT (the ORM would build an object per cell)."""
    connection = session.connection()
    for table, values in rows.items():
        if values:
            connection.execute(insert(table.__table__), values)


def new_expert_ids(session: Session, count: int) -> list[int]:
    """Ids for new experts, taken before inserting so that the lists can be inserted with them in bulk."""
    if session.get_bind().dialect.name == "postgresql":
        sequence = text("SELECT nextval(pg_get_serial_sequence('expert', 'id')) FROM generate_series(1, :n)")
        return list(session.execute(sequence, {"n": count}).scalars())
    # SQLite: the transaction began with BEGIN IMMEDIATE (service.platform.db), so no other writer can take these ids
    last = session.execute(select(func.max(Expert.id))).scalar() or 0
    return list(range(last + 1, last + count + 1))


def _plain(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    return value.isoformat() if isinstance(value, date) else value


def stored_experts(session: Session, ids: list[int]) -> dict[int, dict]:
    """The stored experts as JSON-like dicts shaped like the import payload, read without the ORM."""
    connection, table = session.connection(), Expert.__table__
    records = {
        r["id"]: {k: _plain(v) for k, v in r.items()} | {name: [] for name in LIST_FIELDS | {"credentials"}}
        for r in connection.execute(select(table).where(table.c.id.in_(ids))).mappings()
    }
    for eid, code, proficiency in connection.execute(
        select(ExpertSkill.expert_id, ExpertSkill.code, ExpertSkill.proficiency).where(ExpertSkill.expert_id.in_(ids))
    ):
        records[eid]["skills"].append({"code": code, "proficiency": proficiency})
    for eid, code, level in connection.execute(
        select(ExpertLanguage.expert_id, ExpertLanguage.code, ExpertLanguage.level).where(
            ExpertLanguage.expert_id.in_(ids)
        )
    ):
        records[eid]["languages"].append({"code": code, "level": level})
    for eid, lv in connection.execute(
        select(ExpertLevel.expert_id, ExpertLevel.level).where(ExpertLevel.expert_id.in_(ids))
    ):
        records[eid]["levels"].append(_plain(lv))
    for expert_id, kind, start, end in connection.execute(
        select(ExpertWindow.expert_id, ExpertWindow.kind, ExpertWindow.start, ExpertWindow.end).where(
            ExpertWindow.expert_id.in_(ids)
        )
    ):
        records[expert_id]["availability" if kind == "available" else "leave"].append(
            {"start": start.isoformat(), "end": end.isoformat()}
        )
    for held in connection.execute(
        select(Credential.expert_id, Credential.code, Credential.issued_on, Credential.expires_on)
        .where(Credential.expert_id.in_(ids))
        .order_by(Credential.code)
    ).mappings():
        record = records[held["expert_id"]]
        record["credentials"].append({k: _plain(held[k]) for k in ("code", "issued_on", "expires_on")})
        if held["code"] == SCREENING:
            record["screening_valid_until"] = held["expires_on"].isoformat()
    return records
