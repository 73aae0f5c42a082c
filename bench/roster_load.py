"""The API bench's roster: a fast bulk seeder of the demo's experts, and the varied workload drawn from them.

``seed_experts`` writes ``seed_data.demo.generate``'s experts (the same rows, ids 1..n on a fresh database, as
``roster seed --demo`` would) with PostgreSQL ``COPY`` (Core inserts elsewhere): 200,000 experts through the ORM
take many minutes, the rows alone a fraction of that. It writes the columns of the database it is given,
whichever checkout migrated it, and names any column it has no value for (left to the column's default).

``search_paths`` draws ``GET /experts?...`` queries from the demo's own distributions: each query starts from a
demo expert picked at random (a planner looks for someone like the people the roster holds) and keeps a random
subset of what that expert has, with lower minimums; ``write_requests`` makes the roster-changing PATCHes that
the workload interleaves, one request in ``WRITE_EVERY``.
"""

import json
import random
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import Enum
from typing import cast
from urllib.parse import urlencode

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from schemas.roster import ExpertCreate
from seed_data.demo import generate
from service.reference.credentials import listing_screening
from service.seeding import SEEDER

WRITE_EVERY = 20  # one request in 20 changes the roster: the 5 % writes
CHUNK = 10_000  # experts written per batch: bounded memory for the rows, few round trips
# Set in the bench, not by the generator, for every expert row.
_EXPERT_COLUMNS_SET = {"id", "state", "version", "created_at", "updated_at"}
_NOT_ON_EXPERT = {"skills", "languages", "levels", "availability", "leave", "credentials", "screening_valid_until"}
_CHILD_COLUMNS = {
    "expert_skill": ("expert_id", "code", "proficiency"),
    "expert_language": ("expert_id", "code", "level"),
    "expert_level": ("expert_id", "level"),
    "expert_window": ("expert_id", "kind", "start", "end"),
    "credential": ("expert_id", "code", "issued_on", "expires_on", "verified_by", "verified_on"),
}


# --- Bulk seeding -------------------------------------------------------------------------------


def _plain(value: object) -> object:
    return value.value if isinstance(value, Enum) else value


def expert_columns(engine: Engine) -> tuple[list[str], list[str]]:
    """The expert table's columns that the seeder writes, and those it leaves to their default (unknown to it)."""
    names = [c["name"] for c in sa.inspect(engine).get_columns("expert")]
    fields = set(ExpertCreate.model_fields) - _NOT_ON_EXPERT
    written = [name for name in names if name in fields | _EXPERT_COLUMNS_SET]
    return written, [name for name in names if name not in written]


def _expert_row(columns: Sequence[str], expert_id: int, data: ExpertCreate, now: datetime) -> tuple:
    set_here = {"id": expert_id, "state": data.state, "version": 1, "created_at": now, "updated_at": now}
    return tuple(set_here[c] if c in set_here else _plain(getattr(data, c)) for c in columns)


def _child_rows(expert_id: int, data: ExpertCreate, today: date) -> Iterator[tuple[str, tuple]]:
    """The rows of the expert's lists, as the roster repository stores them."""
    for s in data.skills:
        yield "expert_skill", (expert_id, s.code, s.proficiency)
    for lang in data.languages:
        yield "expert_language", (expert_id, lang.code, lang.level)
    for level in dict.fromkeys(data.levels):
        yield "expert_level", (expert_id, _plain(level))
    for kind, windows in (("available", data.availability), ("leave", data.leave)):
        for w in windows:
            yield "expert_window", (expert_id, kind, w.start, w.end)
    for c in listing_screening(data.credentials, data.screening_valid_until, []):
        verified = (c.verified_by or SEEDER.name, c.verified_on or today)
        yield "credential", (expert_id, c.code, c.issued_on, c.expires_on, *verified)


def batch_rows(experts: Sequence[ExpertCreate], first_id: int, columns: Sequence[str]) -> dict[str, list[tuple]]:
    """Every table's rows for these experts, numbered from ``first_id`` on."""
    now, today = datetime.now().astimezone(), date.today()
    rows: dict[str, list[tuple]] = {table: [] for table in ("expert", *_CHILD_COLUMNS)}
    for offset, data in enumerate(experts):
        rows["expert"].append(_expert_row(columns, first_id + offset, data, now))
        for table, row in _child_rows(first_id + offset, data, today):
            rows[table].append(row)
    return rows


def _copy(connection: Connection, table: str, columns: Sequence[str], rows: Iterable[tuple]) -> None:
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]  # psycopg's own
    quoted = ", ".join(f'"{c}"' for c in columns)
    with cursor.copy(f'COPY "{table}" ({quoted}) FROM STDIN') as copy:
        for row in rows:
            copy.write_row(row)


def _insert(connection: Connection, table: str, columns: Sequence[str], rows: list[tuple]) -> None:
    target = sa.table(table, *(sa.column(c) for c in columns))
    connection.execute(sa.insert(target), [dict(zip(columns, row, strict=True)) for row in rows])


def _write(connection: Connection, rows: dict[str, list[tuple]], expert_columns: Sequence[str]) -> None:
    put = _copy if connection.dialect.name == "postgresql" else _insert
    put(connection, "expert", expert_columns, rows["expert"])
    for table, columns in _CHILD_COLUMNS.items():
        if rows[table]:
            put(connection, table, columns, rows[table])


def _fast_postgres(connection: Connection) -> None:
    """Skip triggers and foreign-key checks for this transaction (superuser only; else both simply run): the rows
    are the demo generator's, drawn from the reference data just loaded. The roster's version is moved by hand."""
    try:
        with connection.begin_nested():
            connection.execute(sa.text("SET LOCAL session_replication_role = replica"))
    except sa.exc.DBAPIError:
        pass


def _after_postgres(connection: Connection, last_id: int) -> None:
    connection.execute(sa.text("SELECT setval(pg_get_serial_sequence('expert', 'id'), :last)"), {"last": last_id})
    connection.execute(sa.text("UPDATE data_version SET version = version + 1 WHERE name = 'experts'"))


def unique_national_ids(experts: Sequence[ExpertCreate]) -> list[ExpertCreate]:
    """The experts, a national id drawn twice for one state and nationality moved on to the next free number.

    The demo draws 8-digit ids at random: past some 100,000 experts two of a large state collide, which the
    database's unique index refuses (``roster seed --demo`` fails alike). One expert in thousands changes.
    """
    taken: set[tuple[str | None, str, str]] = set()
    out = []
    for data in experts:
        if data.national_id is not None:
            key = (data.state, data.nationality, data.national_id)
            if key in taken:
                prefix, number = data.national_id[:2], int(data.national_id[2:])
                while key in taken:
                    number += 1
                    key = (data.state, data.nationality, f"{prefix}{number}")
                data = data.model_copy(update={"national_id": key[2]})
            taken.add(key)
        out.append(data)
    return out


@dataclass(frozen=True)
class Seeded:
    added: int
    defaulted_columns: list[str]  # the expert table's columns the seeder knows nothing of: their defaults
    generated_s: float  # the demo generator's share of the time
    written_s: float


def seed_experts(engine: Engine, *, experts: int, seed: int = 2027) -> Seeded:
    """Write the demo's first ``experts`` experts (those not there yet, counted by id) in one transaction."""
    columns, defaulted = expert_columns(engine)
    started = time.perf_counter()
    demo = unique_national_ids(generate(experts=experts, offers=0, requests=0, seed=seed).experts)
    generated = time.perf_counter()
    with engine.begin() as connection:
        present = int(connection.execute(sa.text("SELECT coalesce(max(id), 0) FROM expert")).scalar_one())
        postgres = connection.dialect.name == "postgresql"
        if postgres:
            _fast_postgres(connection)
        for start in range(present, experts, CHUNK):
            _write(connection, batch_rows(demo[start : start + CHUNK], start + 1, columns), columns)
        if postgres and experts > present:
            _after_postgres(connection, experts)
    written = time.perf_counter() - generated
    return Seeded(max(0, experts - present), defaulted, generated - started, written)


# --- The workload -------------------------------------------------------------------------------

SKILL_COUNT = {0: 25, 1: 45, 2: 30}  # skills asked per search: most ask for one or two
LANGUAGE_SHARE, LEVEL_SHARE, CATEGORY_SHARE, PERIOD_SHARE = 0.5, 0.3, 0.4, 0.5
NAME_SHARE, STATE_SHARE, EXACT_COUNT_SHARE = 0.15, 0.15, 0.05
PAGES = {"first": 60, "offset": 20, "after": 20}  # the first page; a later one by offset; by keyset cursor
PERIOD_DAYS = (14, 240)


@dataclass(frozen=True)
class Sample:
    """The demo experts that queries are drawn from, and the id range the roster's ids fall in."""

    experts: Sequence[ExpertCreate]
    lo: int
    hi: int

    @classmethod
    def of(cls, size: int, lo: int, hi: int, seed: int = 2027) -> "Sample":
        return cls(generate(experts=size, offers=0, requests=0, seed=seed).experts, lo, hi)


def _skills(rng: random.Random, anchor: ExpertCreate) -> list[str]:
    count = min(len(anchor.skills), rng.choices(list(SKILL_COUNT), list(SKILL_COUNT.values()))[0])
    return [f"{s.code}:{rng.randint(1, s.proficiency)}" for s in rng.sample(anchor.skills, count)]


def _period(rng: random.Random, anchor: ExpertCreate) -> tuple[date, date]:
    """Mostly inside one of the anchor's windows (a search that finds people); now and then any period."""
    length = timedelta(days=rng.randint(*PERIOD_DAYS))
    if anchor.availability and rng.random() < 0.8:
        window = rng.choice(anchor.availability)
        room = max(0, (window.end - window.start - length).days)
        start = window.start + timedelta(days=rng.randint(0, room))
        return start, min(window.end, start + length)
    start = date(2027, 1, 1) + timedelta(days=rng.randint(0, 600))
    return start, start + length


def _fragment(rng: random.Random, name: str) -> str:
    """Three to six letters of one word of a name, as someone types part of it."""
    word = rng.choice([w for w in name.split() if len(w) >= 3] or [name])
    size = min(len(word), rng.randint(3, 6))
    start = rng.randint(0, len(word) - size)
    return word[start : start + size].lower()


def _page(rng: random.Random, sample: Sample) -> list[tuple[str, object]]:
    kind = rng.choices(list(PAGES), list(PAGES.values()))[0]
    if kind == "offset":
        return [("offset", 50 * rng.randint(1, 4))]
    if kind == "after":
        return [("after", rng.randint(sample.lo, sample.hi))]
    return []


def search_query(rng: random.Random, sample: Sample) -> list[tuple[str, object]]:
    """One search's parameters, drawn around a random demo expert."""
    anchor = rng.choice(sample.experts)
    params: list[tuple[str, object]] = [("skill", code) for code in _skills(rng, anchor)]
    if anchor.languages and rng.random() < LANGUAGE_SHARE:
        lang = rng.choice(anchor.languages)
        params.append(("language", f"{lang.code}:{rng.randint(1, lang.level)}"))
    if rng.random() < LEVEL_SHARE:
        params.append(("level", _plain(rng.choice(anchor.levels))))
    if rng.random() < CATEGORY_SHARE:
        params.append(("category", _plain(anchor.category)))
    if rng.random() < PERIOD_SHARE:
        start, end = _period(rng, anchor)
        params += [("available_from", start.isoformat()), ("available_to", end.isoformat())]
    if rng.random() < NAME_SHARE:
        params.append(("q", _fragment(rng, rng.choice(sample.experts).full_name)))
    if rng.random() < STATE_SHARE:
        state = anchor.state or rng.choice([e.state for e in sample.experts if e.state])
        params.append(("state", state))
    if rng.random() < EXACT_COUNT_SHARE:
        params.append(("exact_count", "true"))
    return params + _page(rng, sample)


def search_paths(rng: random.Random, sample: Sample, count: int) -> list[str]:
    """``count`` search paths, ``/experts`` alone when a draw asks for nothing."""
    paths = []
    for _ in range(count):
        query = urlencode(search_query(rng, sample))
        paths.append(f"/experts?{query}" if query else "/experts")
    return paths


@dataclass(frozen=True)
class Write:
    method: str
    path: str
    body: str


def _new_availability(rng: random.Random) -> dict:
    start = date(2027, 1, 1) + timedelta(days=rng.randint(0, 300))
    end = start + timedelta(days=rng.randint(90, 540))
    return {"availability": [{"start": start.isoformat(), "end": end.isoformat()}]}


def _new_skill_level(rng: random.Random, skills: Sequence[tuple[str, int]]) -> dict:
    changed = rng.randrange(len(skills))
    return {
        "skills": [
            {"code": code, "proficiency": (level % 5) + 1 if i == changed else level}
            for i, (code, level) in enumerate(skills)
        ]
    }


def write_requests(rng: random.Random, owned: dict[int, list[tuple[str, int]]], count: int) -> list[Write]:
    """PATCHes of a Member State's own experts (id: its skills and levels): a new availability window, or one
    skill a level up (5 wraps round to 1); each moves the roster's version, as a Member State's edit does."""
    ids = sorted(owned)
    writes = []
    for _ in range(count):
        expert_id = rng.choice(ids)
        skills = owned[expert_id]
        body = _new_skill_level(rng, skills) if skills and rng.random() < 0.5 else _new_availability(rng)
        writes.append(Write("PATCH", f"/experts/{expert_id}", json.dumps(body, separators=(",", ":"))))
    return writes


def busiest_state(sample: Sample) -> str:
    """The Member State with the most experts in the sample: its edits spread over many rows."""
    counts: dict[str, int] = {}
    for e in sample.experts:
        if e.state:
            counts[e.state] = counts.get(e.state, 0) + 1
    return max(sorted(counts), key=counts.__getitem__)


def owned_skills(connection: Connection, state: str, limit: int = 2000) -> dict[int, list[tuple[str, int]]]:
    """Up to ``limit`` of the state's experts, with their skills as stored (the PATCHes replace the whole list)."""
    statement = sa.text(
        "SELECT e.id, s.code, s.proficiency FROM (SELECT id FROM expert WHERE state = :state ORDER BY id "
        "LIMIT :limit) e LEFT JOIN expert_skill s ON s.expert_id = e.id ORDER BY e.id, s.code"
    )
    rows = cast(Iterable[tuple[int, str | None, int]], connection.execute(statement, {"state": state, "limit": limit}))
    owned: dict[int, list[tuple[str, int]]] = {}
    for expert_id, code, proficiency in rows:
        skills = owned.setdefault(expert_id, [])
        if code is not None:
            skills.append((code, proficiency))
    return owned
