"""The roster search: one prebuilt statement per shape of query, answers built without models.

A search's cost must not hang on the answer cache: a planner asks a new question each time (another skill,
period, language, page), and every roster change empties the cache. So (issue 22, `docs/roster-search.md`):

- **One statement per shape** (which filters are given, how many skills and languages, who asks), built and
  compiled once, its values bound: PostgreSQL gets the same text each time and psycopg prepares it.
- **One round trip for a page**: the page's ids in a subquery (the filters, then ``id > after`` in id order, or
  an offset), and each of those experts' records written as JSON text by the database (``_record``: its lists
  by correlated subqueries, evaluated for the page's rows only); the answer joins those texts. Reading the lists
  as one row per item, 650 rows for a page of 50, and building a pydantic model per expert (its validators run
  in Python: 16 ms a page) was most of a search's CPU.
- **Counts that do not scan everything**: exact when the first page holds them all, when asked
  (``exact_count``), or when PostgreSQL's planner says the count is cheap; otherwise the planner's estimate,
  labelled ``count_exact: false``. An exact count of a common skill took 13.7 ms at 20,000 experts (the page
  itself 0.9 ms). SQLite has no planner estimate: it always counts.
- The fields a role may not see (``service.platform.personal``) are nulls in the statement: they never leave the
  database.
"""

import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import anyio
from pydantic_core import to_json
from sqlalchemy import Date, Integer, String, Text, and_, bindparam, case, cast, exists, func, literal_column, null, or_
from sqlmodel import Session, select

from schemas.enums import Level, Role
from schemas.roster import ExpertBase
from service.platform.auth import Principal
from service.platform.personal import LIST_HIDDEN, hidden_fields, viewer
from service.platform.readcache import ROSTER_VERSION, audience, roster_version
from service.platform.readpool import estimate, fetch
from service.platform.sqljson import folded, json_agg, json_agg_values, json_bool, json_list, json_object, json_time
from service.platform.tables import Credential, Expert, ExpertLanguage, ExpertLevel, ExpertSkill, ExpertWindow
from service.reference.credentials import SCREENING
from service.reference.repository import check_skills

CHEAP_COUNT_COST = 2_000.0  # the planner's cost units: about 1 ms of a count's execution on the bench machine


@dataclass(frozen=True)
class Shape:
    """What a search's statement depends on; its values are bound parameters."""

    skills: int = 0
    languages: int = 0
    level: bool = False
    category: bool = False
    nationality: bool = False
    state: bool = False
    source: bool = False
    active: bool = False
    period: bool = False
    q: bool = False
    scoped: bool = False  # a Member State: its own experts only


def shape_of(principal: Principal, f) -> tuple[Shape, dict[str, Any]]:
    """The shape of the filter ``f`` (a ``repository.ExpertFilter``) and its parameters."""
    params: dict[str, Any] = {}
    for i, (code, minimum) in enumerate(f.skills):
        params[f"skill_{i}"], params[f"skill_min_{i}"] = code, minimum
    for i, (code, minimum) in enumerate(f.languages):
        params[f"language_{i}"], params[f"language_min_{i}"] = code, minimum
    for name in ("level", "category", "nationality", "state", "source", "active"):
        if (value := getattr(f, name)) is not None:
            params[name] = getattr(value, "value", value)
    period = f.available_from is not None and f.available_to is not None
    if period:
        params["start"], params["end"] = f.available_from, f.available_to
    if f.q:
        params["q"] = "%" + _escaped(f.q.lower()) + "%"
    scoped = principal.role == Role.member_state
    if scoped:
        params["scope"] = principal.state
    shape = Shape(
        skills=len(f.skills),
        languages=len(f.languages),
        **{name: name in params for name in ("level", "category", "nationality", "state", "source", "active")},
        period=period,
        q=bool(f.q),
        scoped=scoped,
    )
    return shape, params


def _escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def conditions(shape: Shape) -> list:
    """The filters of a shape, over bound parameters: the one definition of what each filter means."""
    found: list = []
    for i in range(shape.skills):
        found.append(
            exists().where(
                ExpertSkill.expert_id == Expert.id,
                ExpertSkill.code == bindparam(f"skill_{i}", type_=String),
                ExpertSkill.proficiency >= bindparam(f"skill_min_{i}", type_=Integer),
            )
        )
    for i in range(shape.languages):
        found.append(
            exists().where(
                ExpertLanguage.expert_id == Expert.id,
                ExpertLanguage.code == bindparam(f"language_{i}", type_=String),
                ExpertLanguage.level >= bindparam(f"language_min_{i}", type_=Integer),
            )
        )
    if shape.level:
        found.append(
            exists().where(ExpertLevel.expert_id == Expert.id, ExpertLevel.level == bindparam("level", type_=String))
        )
    for name in ("category", "nationality", "state", "source", "active"):
        if getattr(shape, name):
            column = Expert.__table__.c[name]
            found.append(column == bindparam(name, type_=column.type))
    if shape.period:
        found += available(bindparam("start", type_=Date), bindparam("end", type_=Date))
    if shape.q:
        found.append(folded(Expert.full_name).like(bindparam("q", type_=String), escape="\\"))
    if shape.scoped:
        found.append(Expert.state == bindparam("scope", type_=String))
    return found


def available(start, end) -> list:
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


EXPERT_ID: Any = literal_column("expert.id")  # the expert of the row being written, from inside nested subqueries


def _items(*fields, where, order_by) -> json_list:
    """A JSON array of one object per row of a list table (``fields``: key, column, ...), in order."""
    rows = select(json_object(*fields).label("item")).where(where).order_by(*order_by).subquery()
    return json_list(select(json_agg(rows.c.item)).scalar_subquery())


def _record(hidden: frozenset[str]):
    """An expert's record as JSON text, written by the database as ``ExpertPublic`` writes it; the fields in
    ``hidden`` are null (``credentials.verified_by`` for a credential's)."""

    def shown(name: str, value):
        return null() if name in hidden else value

    c = Expert.__table__.c
    skills = _items(
        "code",
        ExpertSkill.code,
        "proficiency",
        ExpertSkill.proficiency,
        where=ExpertSkill.expert_id == EXPERT_ID,
        order_by=[ExpertSkill.code],
    )
    languages = _items(
        "code",
        ExpertLanguage.code,
        "level",
        ExpertLanguage.level,
        where=ExpertLanguage.expert_id == EXPERT_ID,
        order_by=[ExpertLanguage.code],
    )
    rank = case(*((ExpertLevel.level == lv.value, i) for i, lv in enumerate(Level)), else_=len(Level))
    levels = json_list(
        select(json_agg_values(literal_column("ranked.level")))
        .select_from(
            select(ExpertLevel.level).where(ExpertLevel.expert_id == EXPERT_ID).order_by(rank).subquery("ranked")
        )
        .scalar_subquery()
    )

    def windows(kind: str):
        return _items(
            "start",
            ExpertWindow.start,
            "end",
            ExpertWindow.end,
            where=and_(ExpertWindow.expert_id == EXPERT_ID, ExpertWindow.kind == kind),
            order_by=[ExpertWindow.start, ExpertWindow.end],
        )

    held = _items(
        "code",
        Credential.code,
        "issued_on",
        Credential.issued_on,
        "expires_on",
        Credential.expires_on,
        "verified_by",
        shown("credentials.verified_by", Credential.verified_by),
        "verified_on",
        Credential.verified_on,
        where=Credential.expert_id == EXPERT_ID,
        order_by=[Credential.code],
    )
    screening = (
        select(Credential.expires_on)
        .where(Credential.expert_id == EXPERT_ID, Credential.code == SCREENING)
        .scalar_subquery()
    )
    return cast(
        json_object(
            *(
                item
                for name in _BASE
                for item in (name, shown(name, json_bool(c[name]) if name == "active" else c[name]))
            ),
            "id",
            c.id,
            "state",
            c.state,
            "skills",
            skills,
            "languages",
            languages,
            "levels",
            levels,
            "availability",
            windows("available"),
            "leave",
            windows("leave"),
            "credentials",
            held,
            "screening_valid_until",
            screening,
            "version",
            c.version,
            "created_at",
            json_time(c.created_at),
            "updated_at",
            json_time(c.updated_at),
        ),
        Text,
    ).label("record")


@lru_cache(maxsize=512)
def page_statement(shape: Shape, hidden: frozenset[str]):
    """A page of the shape's experts (``after``, ``limit``, ``offset`` bound): each one's id and record."""
    page = (
        select(Expert.id)
        .where(*conditions(shape), Expert.id > bindparam("after", type_=Integer))
        .order_by(Expert.id)
        .limit(bindparam("limit", type_=Integer))
        .offset(bindparam("offset", type_=Integer))
        .subquery("page")
    )
    return select(Expert.id, _record(hidden)).join_from(Expert, page, page.c.id == Expert.id).order_by(Expert.id)


@lru_cache(maxsize=512)
def count_statement(shape: Shape):
    return select(func.count()).select_from(Expert).where(*conditions(shape))


@lru_cache(maxsize=8)
def one_statement(scoped: bool, hidden: frozenset[str]):
    """The roster's version, the expert's (``id`` bound) version and record: no row if it is not visible."""
    visible = [Expert.state == bindparam("scope", type_=String)] if scoped else []
    return select(ROSTER_VERSION.scalar_subquery(), Expert.version, _record(hidden)).where(
        Expert.id == bindparam("id", type_=Integer), *visible
    )


def hidden_in_lists(principal: Principal) -> frozenset[str]:
    """What a search answer leaves out for ``principal``: the matrix's hidden fields, and national ids."""
    return hidden_for(principal) | LIST_HIDDEN


def hidden_for(principal: Principal) -> frozenset[str]:
    """What ``principal`` may not see of the experts it reaches (a Member State reaches only its own)."""
    return hidden_fields(viewer(principal, principal.state))


def page_params(params: dict[str, Any], *, after: int | None, limit: int, offset: int) -> dict[str, Any]:
    return params | {"after": after if after is not None else -1, "limit": limit, "offset": offset}


def one_params(principal: Principal, expert_id: int) -> dict[str, Any]:
    if principal.role == Role.member_state:
        return {"id": expert_id, "scope": principal.state}
    return {"id": expert_id}


# --- Rows to answers ----------------------------------------------------------------------------------


def record(text: str) -> dict[str, Any]:
    """An expert's record as plain data, from the JSON text the statements write."""
    return json.loads(text)


_BASE = tuple(ExpertBase.model_fields)  # the record's own fields, in the order ExpertPublic writes them


def holds_null(record: bytes, field: str) -> bool:
    """Whether an expert's record, as JSON written here, has ``field`` null. Quotes inside a JSON string are
    escaped, so the bytes ``"field":null`` can only be the field itself."""
    return b'"%s":null' % field.encode() in record


def body(records: Sequence[str], count: int, count_exact: bool, next_after: int | None) -> bytes:
    """The JSON of an ``ExpertsPublic`` answer around the records as the database wrote them."""
    head = to_json({"count": count, "count_exact": count_exact, "next_after": next_after})
    return b'%s,"data":[%s]}' % (head[:-1], ",".join(records).encode())


# --- The search, end to end -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Paging:
    after: int | None = None
    limit: int = 50
    offset: int = 0
    exact_count: bool = False

    @property
    def first(self) -> bool:
        return self.after is None and self.offset == 0


@dataclass(frozen=True)
class Count:
    value: int
    exact: bool


async def answer(state, principal: Principal, f, paging: Paging) -> tuple[bytes, None]:
    """The JSON answer of a search (no ETag), kept while the roster does not change."""
    shape, params = shape_of(principal, f)
    question = (audience(principal), shape, tuple(sorted(params.items())))
    hidden = hidden_in_lists(principal)
    key = ("experts", *question, hidden, paging)
    version = await roster_version(state)  # before the data: a kept answer is never older than its version
    if (kept := state.roster_cache.get(key, version)) is not None:
        return kept
    statement = page_statement(shape, hidden)
    rows = await fetch(
        state, statement, page_params(params, after=paging.after, limit=paging.limit, offset=paging.offset)
    )
    records = [text for _, text in rows]
    if not records and f.skills:  # a skill code that does not exist matches no one: say so instead
        await anyio.to_thread.run_sync(_check_skills, state, [code for code, _ in f.skills])
    if paging.first and len(records) < paging.limit and not paging.exact_count:
        count = Count(len(records), True)
    else:
        count = await _count(state, ("experts-count", *question), version, shape, params, paging.exact_count)
    next_after = rows[-1][0] if len(records) == paging.limit else None
    kept = body(records, count.value, count.exact, next_after), None
    state.roster_cache.put(key, version, kept)
    return kept


async def _count(state, key: tuple, version: int, shape: Shape, params: dict, exact: bool) -> Count:
    """Exact when asked or cheap (or on SQLite); otherwise the planner's estimate. Kept like answers."""
    kept = state.roster_cache.get(key, version)
    if kept is not None and (kept.exact or not exact):
        return kept
    statement = count_statement(shape)
    count = None
    if not exact and state.read_pool is not None:
        rows, cost = await estimate(state, statement, params)
        if cost > CHEAP_COUNT_COST:
            count = Count(rows, False)
    if count is None:
        count = Count((await fetch(state, statement, params))[0][0], True)
    state.roster_cache.put(key, version, count)
    return count


def _check_skills(state, codes: list[str]) -> None:
    with Session(state.read_engine) as session:
        check_skills(session, "skill", codes)
