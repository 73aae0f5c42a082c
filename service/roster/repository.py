"""Experts: persistence, filtering and the Member State scope."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import Date, Integer, String, bindparam, cast, exists, func, literal, null, or_, union_all
from sqlalchemy.sql.expression import BindParameter, CompoundSelect
from sqlmodel import Session, select

from schemas.enums import Category, Level, Role, Source
from schemas.roster import (
    EXPERT_NOT_NULL,
    CredentialPublic,
    ExpertCreate,
    ExpertPublic,
    ExpertUpdate,
    LanguageLevel,
    SkillLevel,
    Window,
)
from service.platform.auth import Principal
from service.platform.errors import Conflict, Invalid
from service.platform.queries import get_scoped
from service.platform.readcache import ROSTER_VERSION
from service.platform.tables import (
    Credential,
    Expert,
    ExpertLanguage,
    ExpertLevel,
    ExpertSkill,
    ExpertWindow,
    utcnow,
)
from service.reference import credentials
from service.reference.repository import check

LIST_FIELDS = {"skills", "languages", "levels", "availability", "leave"}
# Not columns of the expert: its credentials, and the screening (the HR-SCREENING credential, seen as a field).
CREDENTIAL_FIELDS = {"credentials", "screening_valid_until"}


@dataclass
class ExpertFilter:
    skills: list[tuple[str, int]] = field(default_factory=list)
    languages: list[tuple[str, int]] = field(default_factory=list)
    level: Level | None = None
    category: Category | None = None
    nationality: str | None = None
    state: str | None = None
    source: Source | None = None
    active: bool | None = None
    available_from: date | None = None
    available_to: date | None = None
    q: str | None = None


def _code(item) -> str:
    return item.code


def to_public(expert: Expert) -> ExpertPublic:
    """The public record; nested lists come sorted (skills and languages by code) whatever the input order."""
    windows: dict[str, list[Window]] = {"available": [], "leave": []}
    for w in sorted(expert.windows, key=lambda w: (w.start, w.end)):
        windows[w.kind].append(Window(start=w.start, end=w.end))
    held = credentials.public(expert.credentials)
    return ExpertPublic(
        **expert.model_dump(),
        skills=[SkillLevel(code=s.code, proficiency=s.proficiency) for s in sorted(expert.skills, key=_code)],
        languages=[LanguageLevel(code=x.code, level=x.level) for x in sorted(expert.languages, key=_code)],
        levels=sorted({lv.level for lv in expert.levels}, key=list(Level).index),
        availability=windows["available"],
        leave=windows["leave"],
        credentials=held,
        screening_valid_until=credentials.screening_of(held),
    )


def scope(statement, principal: Principal):
    """Member States see only the experts they nominated."""
    if principal.role == Role.member_state:
        return statement.where(Expert.state == principal.state)
    return statement


def get_visible(session: Session, principal: Principal, expert_id: int) -> Expert:
    """The expert, or 404 alike for a missing id and another state's expert."""
    return get_scoped(session, Expert, expert_id, principal, scope, "expert")


def _conditions(f: ExpertFilter) -> list:
    conditions = []
    for code, minimum in f.skills:
        conditions.append(
            exists().where(
                ExpertSkill.expert_id == Expert.id, ExpertSkill.code == code, ExpertSkill.proficiency >= minimum
            )
        )
    for code, minimum in f.languages:
        conditions.append(
            exists().where(
                ExpertLanguage.expert_id == Expert.id, ExpertLanguage.code == code, ExpertLanguage.level >= minimum
            )
        )
    if f.level is not None:
        conditions.append(exists().where(ExpertLevel.expert_id == Expert.id, ExpertLevel.level == f.level))
    for column, value in (
        (Expert.category, f.category),
        (Expert.nationality, f.nationality),
        (Expert.state, f.state),
        (Expert.source, f.source),
        (Expert.active, f.active),
    ):
        if value is not None:
            conditions.append(column == value)
    if f.available_from is not None and f.available_to is not None:
        conditions += _available(f.available_from, f.available_to)
    if f.q:
        conditions.append(func.lower(Expert.full_name).contains(f.q.lower(), autoescape=True))
    return conditions


def _available(start: date, end: date) -> list:
    """Inside one availability window for the whole range (no windows: any time), on no leave during it.

    The same reading as the solver's, so that a filter and a plan never disagree.
    """
    windows = ExpertWindow.expert_id == Expert.id, ExpertWindow.kind == "available"
    return [
        or_(
            ~exists().where(*windows),
            exists().where(*windows, ExpertWindow.start <= start, ExpertWindow.end >= end),
        ),
        ~exists().where(
            ExpertWindow.expert_id == Expert.id,
            ExpertWindow.kind == "leave",
            ExpertWindow.start <= end,
            ExpertWindow.end >= start,
        ),
    ]


# --- Reads without ORM objects: one query for an expert, two for a page ------------------------
# Built once, with bound parameters, so that a read neither rebuilds nor recompiles them.

_IDS: BindParameter[list[int]] = bindparam("ids", expanding=True)
_NONE_TEXT, _NONE_INT, _NONE_DATE = cast(null(), String), cast(null(), Integer), cast(null(), Date)
LIST_COLUMNS = ("kind", "code", "number", "start", "end", "note", "day")


def _lists_where(of) -> CompoundSelect:
    """Skills, languages, levels, windows and credentials as rows of one shape (a credential: its code, issued,
    expires, verified by, verified on), for the experts ``of(expert_id)`` admits."""
    nothing = (_NONE_TEXT, _NONE_DATE)
    return union_all(
        select(
            ExpertSkill.expert_id,
            literal("skills").label("kind"),
            ExpertSkill.code.label("code"),
            ExpertSkill.proficiency.label("number"),
            _NONE_DATE.label("start"),
            _NONE_DATE.label("end"),
            _NONE_TEXT.label("note"),
            _NONE_DATE.label("day"),
        ).where(of(ExpertSkill.expert_id)),
        select(
            ExpertLanguage.expert_id,
            literal("languages"),
            ExpertLanguage.code,
            ExpertLanguage.level,
            _NONE_DATE,
            _NONE_DATE,
            *nothing,
        ).where(of(ExpertLanguage.expert_id)),
        select(
            ExpertLevel.expert_id, literal("levels"), ExpertLevel.level, _NONE_INT, _NONE_DATE, _NONE_DATE, *nothing
        ).where(of(ExpertLevel.expert_id)),
        select(
            ExpertWindow.expert_id,
            ExpertWindow.kind,
            _NONE_TEXT,
            _NONE_INT,
            ExpertWindow.start,
            ExpertWindow.end,
            *nothing,
        ).where(of(ExpertWindow.expert_id)),
        select(
            Credential.expert_id,
            literal("credentials"),
            Credential.code,
            _NONE_INT,
            Credential.issued_on,
            Credential.expires_on,
            Credential.verified_by,
            Credential.verified_on,
        ).where(of(Credential.expert_id)),
    )


LISTS_OF = _lists_where(lambda column: column.in_(_IDS))
EXPERT_COLUMNS = tuple(Expert.__table__.columns)
_LISTS = _lists_where(lambda column: column == bindparam("id")).subquery("lists")
_LIST_ITEM = tuple(_LISTS.c[name] for name in LIST_COLUMNS)


def _expert_then_lists(*visible) -> CompoundSelect:
    """The expert's row (the roster's version, its columns, nulls), then a row per item of its lists
    (nulls, the item): one statement, so the version and the data come from the same snapshot, and
    the expert's columns are sent once, not with every item."""
    expert = select(
        ROSTER_VERSION.scalar_subquery(), *EXPERT_COLUMNS, *(cast(null(), c.type) for c in _LIST_ITEM)
    ).where(Expert.id == bindparam("id"), *visible)
    items = select(cast(null(), Integer), *(cast(null(), c.type) for c in EXPERT_COLUMNS), *_LIST_ITEM)
    if visible:
        items = items.where(exists().where(Expert.id == bindparam("id"), *visible))
    return union_all(expert, items)


ROW_WITH_LISTS = _expert_then_lists()
SCOPED_ROW_WITH_LISTS = _expert_then_lists(Expert.state == bindparam("state"))
_FIRST_LIST_COLUMN = 1 + len(EXPERT_COLUMNS)


def _no_lists() -> dict[str, list]:
    return {"skills": [], "languages": [], "levels": [], "available": [], "leave": [], "credentials": []}


def _add(lists: dict[str, list], kind: str, code, number, start, end, note, day) -> None:
    if kind == "credentials":
        lists[kind].append(
            CredentialPublic(code=code, issued_on=start, expires_on=end, verified_by=note, verified_on=day)
        )
    else:
        lists[kind].append((code, number) if start is None and end is None else (start, end))


def _lists_of(session: Session, ids: list[int]) -> dict[int, dict]:
    """Skills, languages, levels and windows of these experts, in one query."""
    lists = {i: _no_lists() for i in ids}
    for expert_id, *item in session.exec(LISTS_OF, params={"ids": ids}):
        _add(lists[expert_id], *item)
    return lists


def _public_row(row: Sequence, lists: dict) -> ExpertPublic:
    """The public record from the expert's columns and lists, sorted as ``to_public`` sorts them."""
    levels = {code for code, _ in lists["levels"]}
    return ExpertPublic(
        **{column.name: value for column, value in zip(EXPERT_COLUMNS, row)},
        skills=[SkillLevel(code=c, proficiency=n) for c, n in sorted(lists["skills"])],
        languages=[LanguageLevel(code=c, level=n) for c, n in sorted(lists["languages"])],
        levels=[lv for lv in Level if lv.value in levels],
        availability=[Window(start=s, end=e) for s, e in sorted(lists["available"])],
        leave=[Window(start=s, end=e) for s, e in sorted(lists["leave"])],
        credentials=sorted(lists["credentials"], key=_code),
        screening_valid_until=credentials.screening_of(lists["credentials"]),
    )


def one_expert(principal: Principal, expert_id: int) -> tuple[CompoundSelect, dict]:
    """The statement and parameters that read an expert the principal may see (no rows if none)."""
    if principal.role == Role.member_state:
        return SCOPED_ROW_WITH_LISTS, {"id": expert_id, "state": principal.state}
    return ROW_WITH_LISTS, {"id": expert_id}


def _expert_row(rows: Sequence[tuple]) -> tuple:
    """Of the rows of ``one_expert``, the expert's own: the one that carries the roster's version."""
    return next(row for row in rows if row[0] is not None)


def roster_version_of(rows: Sequence[tuple]) -> int:
    return _expert_row(rows)[0]


def public_of(rows: Sequence[tuple]) -> ExpertPublic:
    """The public record from the rows of ``one_expert`` (at least one)."""
    lists = _no_lists()
    for row in rows:
        if row[0] is None:
            _add(lists, *row[_FIRST_LIST_COLUMN:])
    return _public_row(_expert_row(rows)[1:_FIRST_LIST_COLUMN], lists)


def count_experts(session: Session, principal: Principal, f: ExpertFilter) -> int:
    """How many visible experts match the filter."""
    return session.exec(scope(select(func.count()).select_from(Expert).where(*_conditions(f)), principal)).one()


def page_experts(session: Session, principal: Principal, f: ExpertFilter, limit: int, offset: int):
    """One page of visible experts matching the filter, by id: two queries."""
    rows = session.exec(
        scope(select(*Expert.__table__.columns).where(*_conditions(f)), principal)
        .order_by(Expert.id)
        .limit(limit)
        .offset(offset)
    ).all()
    lists = _lists_of(session, [r.id for r in rows]) if rows else {}
    return [_public_row(r, lists[r.id]) for r in rows]


def _check_references(session: Session, data: ExpertCreate | ExpertUpdate, *also: tuple) -> None:
    """The skills, nationality and ``also`` (field, kind, codes) exist: one query for all."""
    check(
        session,
        ("skills", "skill", [s.code for s in data.skills or []]),
        ("nationality", "state", [data.nationality]),
        *also,
    )


def _check_unique(session: Session, expert: Expert) -> None:
    """E-mail and national id are unique within the owning state only: a clash is always with a record the
    caller may see, and no state can block or discover another's people (HQ sees those in duplicates())."""
    clash = select(Expert.id).where(Expert.state.is_(None) if expert.state is None else Expert.state == expert.state)
    if expert.id:
        clash = clash.where(Expert.id != expert.id)
    if expert.email and session.exec(clash.where(Expert.email == expert.email)).first():
        raise Conflict(f"an expert with e-mail {expert.email} already exists: update that record instead")
    if (
        expert.national_id
        and session.exec(
            clash.where(Expert.nationality == expert.nationality, Expert.national_id == expert.national_id)
        ).first()
    ):
        raise Conflict(
            f"an expert of nationality {expert.nationality} with national id {expert.national_id} already exists"
        )


def duplicates(session: Session) -> list[tuple[str, list[Expert]]]:
    """Experts of different owners who share an e-mail or a national id, grouped: (what they share, who)."""
    groups: list[tuple[str, list[Expert]]] = []
    for reason, columns in (("e-mail", (Expert.email,)), ("national id", (Expert.nationality, Expert.national_id))):
        shared = (
            select(*columns)
            .where(*(c.is_not(None) for c in columns))
            .group_by(*columns)
            .having(func.count(func.distinct(func.coalesce(Expert.state, ""))) > 1)
        )
        for key in session.exec(shared).all():
            values = tuple(key) if len(columns) > 1 else (key,)
            same = [c == v for c, v in zip(columns, values)]
            groups.append((reason, list(session.exec(select(Expert).where(*same).order_by(Expert.id)).all())))
    return groups


def _set_lists(expert: Expert, data: dict) -> None:
    if "skills" in data:
        expert.skills = [ExpertSkill(code=s["code"], proficiency=s["proficiency"]) for s in data["skills"]]  # type: ignore[call-arg]  # expert_id: set by the relationship
    if "languages" in data:
        expert.languages = [ExpertLanguage(code=lang["code"], level=lang["level"]) for lang in data["languages"]]  # type: ignore[call-arg]  # expert_id: set by the relationship
    if "levels" in data:
        expert.levels = [ExpertLevel(level=lv) for lv in dict.fromkeys(data["levels"])]  # type: ignore[call-arg]  # expert_id: set by the relationship
    if "availability" in data or "leave" in data:
        kinds = {"available": data.get("availability"), "leave": data.get("leave")}
        kept = [w for w in expert.windows if kinds[w.kind] is None]
        new = [ExpertWindow(kind=k, start=w["start"], end=w["end"]) for k, ws in kinds.items() for w in ws or []]  # type: ignore[call-arg]  # expert_id: set by the relationship
        expert.windows = kept + new


def owner_state(principal: Principal, requested: str | None) -> str | None:
    """Member States always act for themselves; HQ may name a state or none (UN staff)."""
    if principal.role == Role.member_state:
        if requested not in (None, principal.state):
            raise Invalid("state", f"a {principal.state} token can only nominate experts for {principal.state}")
        return principal.state
    return requested


def build(data: ExpertCreate, state: str | None, principal: Principal) -> Expert:
    """A new expert row with its skills, languages, levels, windows and credentials (not yet checked or added)."""
    expert = Expert(**data.model_dump(exclude=LIST_FIELDS | CREDENTIAL_FIELDS | {"state"}), state=state)
    _set_lists(expert, data.model_dump(include=LIST_FIELDS))
    expert.credentials = credentials.new_holder(data.credentials, data.screening_valid_until, principal)
    return expert


def _set_credentials(principal: Principal, expert: Expert, changes: dict, data: ExpertUpdate) -> None:
    """The whole list when given; the screening field sets or (null) removes the HR-SCREENING credential."""
    screening = data.screening_valid_until
    if data.credentials is not None and "screening_valid_until" in changes:
        items = credentials.listing_screening(data.credentials, screening, expert.credentials)
        expert.credentials = credentials.replace(expert.credentials, items, principal)
    elif data.credentials is not None:
        expert.credentials = credentials.replace(expert.credentials, data.credentials, principal)
    elif "screening_valid_until" in changes:
        expert.credentials = credentials.with_screening(expert.credentials, screening, principal)


def create(session: Session, principal: Principal, data: ExpertCreate) -> Expert:
    state = owner_state(principal, data.state)
    _check_references(session, data, ("state", "state", [state]))
    credentials.check(session, "credentials", data.credentials)
    expert = build(data, state, principal)
    _check_unique(session, expert)
    session.add(expert)
    session.flush()
    return expert


def update(session: Session, principal: Principal, expert: Expert, data: ExpertUpdate) -> Expert:
    _check_references(session, data)
    credentials.check(session, "credentials", data.credentials or [])
    changes = data.model_dump(exclude_unset=True)
    for name, value in changes.items():
        if value is None and name in EXPERT_NOT_NULL:
            raise Invalid(name, f"{name} cannot be null: leave it out to keep the current value")
    expert.sqlmodel_update({k: v for k, v in changes.items() if k not in LIST_FIELDS | CREDENTIAL_FIELDS})
    _set_lists(expert, {k: v for k, v in changes.items() if k in LIST_FIELDS and v is not None})
    _set_credentials(principal, expert, changes, data)
    _check_unique(session, expert)
    expert.version += 1
    expert.updated_at = utcnow()
    session.add(expert)
    session.flush()
    return expert


def deactivate(session: Session, expert: Expert) -> None:
    """Off the roster: never planned again; the row stays for its deployments, plans and audit trail."""
    expert.active = False
    expert.version += 1
    expert.updated_at = utcnow()
    session.add(expert)
    session.flush()


def lapsing_credentials(session: Session, principal: Principal, until: date) -> list[tuple[int, str, str, date]]:
    """(expert id, name, credential code, expiry) of the visible active experts' credentials that expire by
    ``until``: one query, where reading every expert's whole record took the offers page 55 ms for 382 experts."""
    statement = (
        select(Expert.id, Expert.full_name, Credential.code, Credential.expires_on)
        .join(Credential, Credential.expert_id == Expert.id)
        .where(Expert.active.is_(True), Credential.expires_on <= until)
        .order_by(Credential.expires_on, Expert.full_name)
    )
    return [tuple(row) for row in session.exec(scope(statement, principal)).all()]
