"""Spreadsheet import of experts and offers: CSV or XLSX, validated row by row with the API's rules.

A file imports whole or not at all (one transaction) unless ``partial``; ``dry_run`` runs the same
checks and writes nothing. Re-importing updates: experts are matched on e-mail, else on
(nationality, national id); offers on (state, title).
"""

import csv
import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import Enum
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationError
from sqlalchemy.exc import IntegrityError
from sqlalchemy import func, insert, text
from sqlmodel import Session, select

from schemas.enums import GRADE_RANK, Category, CostBearer, Gender, Level, OfferKind, OfferStatus, Readiness, Role, Source
from schemas.roster import ExpertCreate, ExpertUpdate, OfferCreate, OfferUpdate
from service.platform import audit
from service.platform.auth import Principal
from service.platform.errors import Conflict, Invalid, RosterError
from service.roster import repository as expert_repo
from service.offers import repository as offer_repo
from service.platform.tables import (
    AuditEntry, Expert, ExpertLanguage, ExpertLevel, ExpertSkill, ExpertWindow, MemberState, Offer, Skill, utcnow,
)

Kind = Literal["experts", "offers"]
Progress = Callable[[str, int, int], None]
MAX_ROWS = 50_000
MAX_UNPACKED_BYTES = 200_000_000  # an XLSX is a zip: refuse one that unpacks to more (a "zip bomb")
PROGRESS_EVERY = 500


# --- Columns -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    name: str
    kind: str  # text, code, choice, number, date, bool, skills, languages, levels, windows, codes
    help: str
    example: str = ""
    required: bool = False


def _choices(enum) -> str:
    return "one of " + ", ".join(m.value for m in enum)


SKILLS_HELP = "CODE:PROFICIENCY pairs (1-5) separated by ';', codes from GET /reference/skills"
LANGUAGES_HELP = "ISO 639-1 code:LEVEL pairs (1-5) separated by ';'"
LEVELS_HELP = "levels of engagement separated by ';': " + ", ".join(m.value for m in Level)
WINDOWS_HELP = "periods START..END (YYYY-MM-DD) separated by ';'"

EXPERT_COLUMNS = [
    Column("full_name", "text", "the expert's name", "Amina Diallo", True),
    Column("email", "text", "e-mail address; the key that matches an existing expert on re-import",
           "amina.diallo@example.org"),
    Column("national_id", "text", "national id; with nationality, the key when there is no e-mail", "SN-1234567"),
    Column("category", "choice", _choices(Category), "police", True),
    Column("nationality", "code", "ISO 3166-1 alpha-3 code", "SEN", True),
    Column("gender", "choice", _choices(Gender), "female", True),
    Column("grade", "text", "one of " + ", ".join(GRADE_RANK), "P-4"),
    Column("source", "choice", _choices(Source), "secondee", True),
    Column("notice_days", "number", "days needed to deploy once selected, 0-365 (default 30)", "30"),
    Column("screening_valid_until", "date", "human-rights screening valid through this date (YYYY-MM-DD)",
           "2029-12-31"),
    Column("active", "bool", "true or false (default true)", "true"),
    Column("state", "code", "nominating Member State (ISO3); empty for UN staff; ignored for Member State "
           "tokens, which import for their own state", "SEN"),
    Column("skills", "skills", SKILLS_HELP, "SSR-STRATEGY:4; DDR-DESIGN:3"),
    Column("languages", "languages", LANGUAGES_HELP, "en:5; fr:3"),
    Column("levels", "levels", LEVELS_HELP, "strategic; operational"),
    Column("availability", "windows", WINDOWS_HELP + "; empty means any time", "2027-01-01..2027-12-31"),
    Column("leave", "windows", WINDOWS_HELP, "2027-07-01..2027-07-31"),
]

OFFER_COLUMNS = [
    Column("title", "text", "the offer's title; with state, the key that matches an existing offer",
           "Police advisers team", True),
    Column("kind", "choice", _choices(OfferKind), "team", True),
    Column("slots", "number", "positions the offer can fill at once, 1-500 (default 1)", "3"),
    Column("category", "choice", _choices(Category), "police", True),
    Column("available_from", "date", "YYYY-MM-DD", "2027-01-01", True),
    Column("available_to", "date", "YYYY-MM-DD, not before available_from", "2027-12-31", True),
    Column("max_duration_days", "number", "longest deployment accepted, 1-3650; empty: no limit", "365"),
    Column("readiness", "choice", _choices(Readiness) + " (default pledged)", "ready"),
    Column("cost_bearer", "choice", _choices(CostBearer) + " (default member_state)", "member_state"),
    Column("notice_days", "number", "days needed to deploy, 0-365 (default 60)", "45"),
    Column("expires_on", "date", "renew before this date (YYYY-MM-DD, in the future)", "2030-06-30", True),
    Column("status", "choice", _choices(OfferStatus) + " (default submitted; Member States: draft, submitted, "
           "withdrawn)", "submitted"),
    Column("state", "code", "offering Member State (ISO3); required for HQ, ignored for Member State tokens",
           "NOR"),
    Column("skills", "skills", SKILLS_HELP, "SSR-STRATEGY:3"),
    Column("levels", "levels", LEVELS_HELP, "strategic"),
    Column("languages", "languages", LANGUAGES_HELP, "en:4"),
    Column("excluded_missions", "codes", "mission codes excluded, separated by ';'", "MINUSMA"),
    Column("excluded_states", "codes", "host states excluded (ISO3), separated by ';'", "MLI"),
]

COLUMNS: dict[str, list[Column]] = {"experts": EXPERT_COLUMNS, "offers": OFFER_COLUMNS}

FIX = {
    "skills": "write CODE:PROFICIENCY pairs separated by ';', e.g. SSR-STRATEGY:4; DDR-DESIGN:3",
    "languages": "write code:LEVEL pairs separated by ';', e.g. en:5; fr:3",
    "levels": "write levels separated by ';', e.g. strategic; operational",
    "windows": "write periods START..END separated by ';', e.g. 2027-01-01..2027-12-31",
    "date": "write the date as YYYY-MM-DD",
    "number": "write a whole number",
    "bool": "write true or false",
}


def columns_markdown(kind: Kind) -> str:
    """The columns of an import file as a Markdown table, for the OpenAPI description."""
    lines = ["| column | required | format | example |", "|---|---|---|---|"]
    for c in COLUMNS[kind]:
        lines.append(f"| `{c.name}` | {'yes' if c.required else ''} | {c.help} | `{c.example}` |")
    return "\n".join(lines)


# --- The report ----------------------------------------------------------------------------


class RowError(BaseModel):
    line: int = Field(description="line in the file, the header being line 1")
    column: str = Field(description="the column at fault; 'row' or 'file' when it is not one column")
    value: str | None = Field(description="the cell as read")
    message: str = Field(description="what is wrong and how to fix it")


class ImportReport(BaseModel):
    rows: int = Field(description="data rows read")
    created: int = Field(description="rows written as new records (dry run: that would be)")
    updated: int
    unchanged: int
    errors: list[RowError]
    dry_run: bool
    partial: bool

    @property
    def rejected(self) -> bool:
        """True when errors kept the whole file out (always, unless partial; partial: when no row was good)."""
        return bool(self.errors) and (not self.partial or self.created + self.updated + self.unchanged == 0)


class FileError(Exception):
    """The file as a whole cannot be read: not CSV or XLSX, no header, bad columns."""

    def __init__(self, errors: list[RowError]) -> None:
        super().__init__(errors[0].message)
        self.errors = errors


def _file_error(message: str, column: str = "file", line: int = 1, value: str | None = None) -> FileError:
    return FileError([RowError(line=line, column=column, value=value, message=message)])


# --- Reading CSV and XLSX -----------------------------------------------------------------

Rows = list[tuple[int, list[Any]]]  # (line, cells)


def _xlsx_rows(content: bytes, kind: Kind) -> Rows:
    """The rows of the sheet named ``kind`` (else the first), from A1, read by calamine."""
    import zipfile

    from python_calamine import CalamineWorkbook

    try:
        unpacked = sum(m.file_size for m in zipfile.ZipFile(io.BytesIO(content)).infolist())
    except zipfile.BadZipFile:
        raise _file_error("this is not an XLSX file: save it from Excel as .xlsx, or send CSV") from None
    if unpacked > MAX_UNPACKED_BYTES:
        raise _file_error(f"the XLSX file unpacks to {unpacked:,} bytes, over {MAX_UNPACKED_BYTES:,}: "
                          "split it or send CSV")
    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(content))
        name = kind if kind in book.sheet_names else book.sheet_names[0]
        grid = book.get_sheet_by_name(name).to_python(skip_empty_area=False, nrows=MAX_ROWS + 2)
    except Exception as exc:  # noqa: BLE001 - any unreadable workbook is the caller's file error
        raise _file_error(f"cannot read the XLSX file ({exc.__class__.__name__}): save it again from Excel "
                          "as .xlsx, or send CSV") from None
    return list(enumerate(grid, start=1))


EXCEL_EPOCH = date(1899, 12, 30)


def _decode(content: bytes) -> str:
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return content.decode("cp1252", errors="replace")


def _csv_rows(content: bytes) -> Iterator[tuple[int, list]]:
    text = _decode(content)
    first = text.split("\n", 1)[0]
    delimiter = "," if "," in first else ";" if ";" in first else "\t" if "\t" in first else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    line = 1
    try:
        for cells in reader:
            yield line, cells
            line = reader.line_num + 1
    except csv.Error as exc:
        raise _file_error(f"malformed CSV near line {reader.line_num}: {exc}; check the quotes",
                          line=reader.line_num) from None


def read_rows(content: bytes, kind: Kind) -> tuple[list[str], int, Rows]:
    """The header (normalised names), its line and the non-empty data rows with their line numbers."""
    if content[:4] == b"\xd0\xcf\x11\xe0":
        raise _file_error("this is an old .xls workbook: save it as .xlsx (Excel Workbook) or as CSV")
    rows = _xlsx_rows(content, kind) if content[:2] == b"PK" else _csv_rows(content)
    header, header_line, data = None, 0, []
    for line, cells in rows:
        if not any(_blank(c) is not None for c in cells) or str(cells[0] or "").startswith("#"):
            continue
        if header is None:
            header, header_line = [_name(c) for c in cells], line
            continue
        data.append((line, list(cells)))
        if len(data) > MAX_ROWS:
            raise _file_error(f"more than {MAX_ROWS} rows: split the file", line=line)
    if header is None:
        raise _file_error("the file is empty: download the template (GET /experts/import/template) and fill it in")
    return header, header_line, data


def _name(cell: Any) -> str:
    return re.sub(r"[\s-]+", "_", str(cell or "").strip().lower())


def _blank(value: Any) -> Any:
    """None for empty cells, stripped text otherwise."""
    if value is None:
        return None
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


def check_header(header: list[str], kind: Kind, line: int) -> list[str | None]:
    """The known column of each header cell (None for trailing empty ones); errors name the fix."""
    known = {c.name: c for c in COLUMNS[kind]}
    errors, seen = [], set()
    for name in header:
        if not name:
            continue
        if name not in known:
            errors.append(RowError(line=line, column=name, value=name, message=(
                f"unknown column {name!r}: remove it or check its spelling; the columns are "
                + ", ".join(known))))
        elif name in seen:
            errors.append(RowError(line=line, column=name, value=name, message="column given twice: keep one"))
        seen.add(name)
    for c in COLUMNS[kind]:
        if c.required and c.name not in seen:
            errors.append(RowError(line=line, column=c.name, value=None,
                                   message=f"required column {c.name!r} is missing: add it to the header row"))
    if errors:
        raise FileError(errors)
    return [name or None for name in header]


# --- Cells to payloads ------------------------------------------------------------------------


def _text(value: Any) -> str:
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return value.isoformat() if isinstance(value, date) else str(value)


def _items(value: Any) -> list[str]:
    return [item.strip() for item in re.split(r"[;,\n]", _text(value)) if item.strip()]


def _pair(item: str, code: str, number: str, upper: bool) -> dict:
    name, sep, level = item.rpartition(":") if ":" in item else (item, "", "")
    pair = {code: name.strip().upper() if upper else name.strip().lower()}
    if sep:
        pair[number] = level.strip()
    return pair


def _window(item: str) -> dict:
    start, sep, end = item.partition("..")
    return {"start": start.strip(), "end": end.strip()} if sep else {"start": start.strip()}


def _cell(column: Column, value: Any) -> Any:
    """A cell as the API would receive it; lists become the API's objects."""
    kind = column.kind
    if kind == "skills":
        return [_pair(i, "code", "proficiency", True) for i in _items(value)]
    if kind == "languages":
        return [_pair(i, "code", "level", False) for i in _items(value)]
    if kind == "levels":
        return [i.lower() for i in _items(value)]
    if kind == "windows":
        return [_window(i) for i in _items(value)]
    if kind == "codes":
        return [i.upper() for i in _items(value)]
    if kind in ("number", "bool") and not isinstance(value, str):
        return int(value) if isinstance(value, float) and value.is_integer() else value
    if kind == "date" and isinstance(value, date):
        return value.date() if isinstance(value, datetime) else value
    if kind == "date" and isinstance(value, (int, float)) and not isinstance(value, bool):
        return EXCEL_EPOCH + timedelta(days=int(value))  # a date cell read as its serial number
    text = _text(value)
    return text.upper() if kind == "code" else text.lower() if kind == "choice" else text


@dataclass
class Row:
    line: int
    cells: dict[str, Any]  # column name -> raw cell (None when empty)
    payload: Any = field(default_factory=dict)  # the cells as the API's payload, then the validated model
    errors: list[RowError] = field(default_factory=list)
    state: str | None = None  # the owning Member State once resolved
    target: int | None = None  # the id of the record the row updates; None creates one

    def error(self, column: str, message: str) -> None:
        value = self.cells.get(column)
        self.errors.append(RowError(line=self.line, column=column,
                                    value=None if value is None else _text(value), message=message))


def to_rows(header: list[str | None], data: Rows, kind: Kind) -> list[Row]:
    known = {c.name: c for c in COLUMNS[kind]}
    rows = []
    for line, cells in data:
        row = Row(line, {})
        for i, value in enumerate(cells):
            value = _blank(value)
            name = header[i] if i < len(header) else None
            if name is None:
                if value is not None:
                    row.errors.append(RowError(line=line, column=f"#{i + 1}", value=_text(value),
                                               message="a value in a column without a header: remove it or name "
                                                       "the column"))
                continue
            row.cells[name] = value
            if value is not None:
                row.payload[name] = _cell(known[name], value)
        rows.append(row)
    return rows


def _guess_column(message: str, names: list[str]) -> str:
    hits = [n for n in names if n in message]
    return max(hits, key=len) if hits else "row"


def _describe(row: Row, column: Column | None, err: dict) -> str:
    loc, message = err.get("loc", ()), err.get("msg", "invalid value").removeprefix("Value error, ")
    if err.get("type") == "missing" and len(loc) == 1:
        return "required: fill in this column"
    if err.get("type") == "missing":
        message = f"{loc[-1]} missing"
    if len(loc) >= 2 and isinstance(loc[1], int) and column is not None:
        items = _items(row.cells.get(column.name))
        item = items[loc[1]] if loc[1] < len(items) else "?"
        message = f"item {loc[1] + 1} ({item!r}): {message}"
    if err.get("type") == "value_error" or column is None:
        return message  # our validators' messages carry their fix
    fix = FIX.get(column.kind) or FIX.get(column.name)
    if fix and column.kind not in ("choice",):
        return f"{message}: {fix}"
    return message


def validate(rows: list[Row], model: type[BaseModel], kind: Kind) -> None:
    """Parse each row's payload into the API's create model; errors go on the row."""
    known = {c.name: c for c in COLUMNS[kind]}
    for row in rows:
        try:
            validated = model.model_validate(row.payload)
        except ValidationError as exc:
            for err in exc.errors():
                loc = err.get("loc", ())
                name = str(loc[0]) if loc else _guess_column(str(err.get("msg", "")), list(known))
                row.error(name, _describe(row, known.get(name), err))
            continue
        if not row.errors:
            row.payload = validated


def _roster_error(row: Row, exc: RosterError, default_column: str) -> None:
    if isinstance(exc.detail, list):
        for item in exc.detail:
            row.error(item.get("field", default_column), item.get("message", str(item)))
    else:
        row.error(default_column, str(exc.detail))


# --- Comparing records ------------------------------------------------------------------------


def _normal(value: Any) -> Any:
    """Lists compared without regard to order (the API stores and returns them sorted)."""
    if isinstance(value, list):
        return sorted(value, key=lambda v: repr(sorted(v.items())) if isinstance(v, dict) else repr(v))
    return value


def changes(current: dict, wanted: dict, present: set[str]) -> dict:
    """The fields given in the file whose value differs from the stored record."""
    return {name: wanted[name] for name in present
            if name in wanted and _normal(wanted[name]) != _normal(current.get(name))}


# --- Experts -------------------------------------------------------------------------------


@dataclass
class References:
    """Reference codes loaded once, so that rows are checked without a query each."""

    skills: set[str]
    states: set[str]

    @classmethod
    def load(cls, session: Session) -> "References":
        return cls(set(session.exec(select(Skill.code)).all()), set(session.exec(select(MemberState.iso3)).all()))

    def check(self, row: Row, skills: list[str], nationality: str | None, state: str | None) -> None:
        """Unknown codes go on the row, in columns not already reported."""
        bad = {e.column for e in row.errors}
        missing = sorted(set(skills) - self.skills)
        if missing and "skills" not in bad:
            row.error("skills", f"unknown skill code(s) {', '.join(missing)}: see GET /reference/skills for valid codes")
        for name, code in (("nationality", nationality), ("state", state)):
            if code and code not in self.states and name not in bad:
                row.error(name, f"unknown Member State code(s) {code}: use ISO3 codes from GET /reference/member-states")

    def check_cells(self, row: Row) -> None:
        """The same checks on a row that failed validation, so that one pass reports every bad cell."""
        skills = [s.get("code") for s in row.payload.get("skills", []) if isinstance(s, dict)]
        self.check(row, skills, row.payload.get("nationality"), row.payload.get("state"))


@dataclass
class ExpertKeys:
    """Who already holds each natural key: e-mails and (nationality, national id), with their state."""

    by_email: dict[str, tuple[int, str | None]]
    by_national: dict[tuple[str, str], tuple[int, str | None]]

    @classmethod
    def load(cls, session: Session) -> "ExpertKeys":
        rows = session.exec(select(Expert.id, Expert.email, Expert.nationality, Expert.national_id, Expert.state)).all()
        return cls({e: (i, s) for i, e, _, _, s in rows if e},
                   {(n, nid): (i, s) for i, _, n, nid, s in rows if nid})


def _match_expert(row: Row, data: ExpertCreate, keys: ExpertKeys, principal: Principal,
                  claimed: dict) -> int | None:
    """The id of the existing expert the row updates, or None for a new one; key clashes go on the row."""
    national = (data.nationality, data.national_id) if data.national_id else None
    by_email = keys.by_email.get(data.email) if data.email else None
    by_national = keys.by_national.get(national) if national else None
    for key, column in ((data.email, "email"), (national, "national_id")):
        if key is not None and key in claimed:
            row.error(column, f"{column} also on line {claimed[key]}: list each expert once per file")
        elif key is not None:
            claimed[key] = row.line
    found = by_email or by_national
    if by_email and by_national and by_email[0] != by_national[0]:
        row.error("national_id", f"national id {data.national_id} ({data.nationality}) belongs to another expert "
                                 "than the e-mail: correct one of them")
        return None
    if found is None:
        return None
    if principal.role == Role.member_state and found[1] != principal.state:
        column = "email" if by_email else "national_id"
        row.error(column, f"{column} already used by an expert you cannot see: check it, or ask HQ")
        return None
    return found[0]


def _owner(row: Row, principal: Principal, data: ExpertCreate) -> str | None:
    try:
        return expert_repo.owner_state(principal, data.state)
    except Invalid as exc:
        _roster_error(row, exc, "state")
        return None


def _expert_plan(session: Session, principal: Principal, rows: list[Row], present: set[str]) -> None:
    """Reference, ownership and key checks for every valid row; sets row.target (id or None) and row.state."""
    refs, keys, claimed = References.load(session), ExpertKeys.load(session), {}
    for row in rows:
        if row.errors:
            refs.check_cells(row)
            continue
        data: ExpertCreate = row.payload
        row.state = _owner(row, principal, data)
        refs.check(row, [s.code for s in data.skills], data.nationality, row.state)
        row.target = _match_expert(row, data, keys, principal, claimed)


UPDATABLE_EXPERT = set(ExpertUpdate.model_fields)


def _write_experts(session: Session, principal: Principal, rows: list[Row], present: set[str],
                   counts: dict, progress: Progress | None) -> None:
    good = [r for r in rows if not r.errors]
    new = [r for r in good if r.target is None]
    for start in range(0, len(new), CHUNK):
        _insert_experts(session, principal, new[start:start + CHUNK])
        _report(progress, "writing", min(start + CHUNK, len(new)), len(good))
    counts["created"] = len(new)
    updates = [r for r in good if r.target is not None]
    fields = (present & UPDATABLE_EXPERT) - {"state"}
    for start in range(0, len(updates), CHUNK):
        chunk = updates[start:start + CHUNK]
        stored = _stored_experts(session, [r.target for r in chunk])
        for row in chunk:
            _update_expert(session, principal, row, stored[row.target], fields, counts)
        _report(progress, "writing", len(new) + start + len(chunk), len(good))


CHUNK = 1000


def _insert_experts(session: Session, principal: Principal, rows: list[Row]) -> None:
    """New experts and their lists in a few multi-row INSERTs (the ORM would build an object per cell)."""
    now = utcnow()
    ids = _new_expert_ids(session, len(rows))
    stamps = {"version": 1, "created_at": now, "updated_at": now}
    children: dict[type, list[dict]] = {Expert: [], ExpertSkill: [], ExpertLanguage: [], ExpertLevel: [],
                                        ExpertWindow: [], AuditEntry: []}
    for expert_id, row in zip(ids, rows):
        data: ExpertCreate = row.payload
        children[Expert].append(data.model_dump(exclude=expert_repo.LIST_FIELDS | {"state"})
                                | {"id": expert_id, "state": row.state} | stamps)
        children[ExpertSkill] += [{"expert_id": expert_id, "code": s.code, "proficiency": s.proficiency}
                                  for s in data.skills]
        children[ExpertLanguage] += [{"expert_id": expert_id, "code": x.code, "level": x.level} for x in data.languages]
        children[ExpertLevel] += [{"expert_id": expert_id, "level": lv} for lv in dict.fromkeys(data.levels)]
        children[ExpertWindow] += [{"expert_id": expert_id, "kind": kind, "start": w.start, "end": w.end}
                                   for kind, windows in (("available", data.availability), ("leave", data.leave))
                                   for w in windows]
        after = data.model_dump(mode="json") | {"id": expert_id, "state": row.state, "version": 1}
        children[AuditEntry].append(audit.row(principal, "import", "expert", expert_id, after=after, at=now))
    connection = session.connection()
    for table, values in children.items():
        if values:
            connection.execute(insert(table.__table__), values)


def _new_expert_ids(session: Session, count: int) -> list[int]:
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


def _stored_experts(session: Session, ids: list[int]) -> dict[int, dict]:
    """The stored experts as JSON-like dicts shaped like the import payload, read without the ORM."""
    connection, table = session.connection(), Expert.__table__
    records = {
        r["id"]: {k: _plain(v) for k, v in r.items()} | {name: [] for name in expert_repo.LIST_FIELDS}
        for r in connection.execute(select(table).where(table.c.id.in_(ids))).mappings()
    }
    for eid, code, proficiency in connection.execute(select(ExpertSkill.expert_id, ExpertSkill.code,
                                                            ExpertSkill.proficiency).where(ExpertSkill.expert_id.in_(ids))):
        records[eid]["skills"].append({"code": code, "proficiency": proficiency})
    for eid, code, level in connection.execute(select(ExpertLanguage.expert_id, ExpertLanguage.code,
                                                      ExpertLanguage.level).where(ExpertLanguage.expert_id.in_(ids))):
        records[eid]["languages"].append({"code": code, "level": level})
    for eid, level in connection.execute(select(ExpertLevel.expert_id, ExpertLevel.level)
                                         .where(ExpertLevel.expert_id.in_(ids))):
        records[eid]["levels"].append(_plain(level))
    for eid, kind, start, end in connection.execute(select(ExpertWindow.expert_id, ExpertWindow.kind, ExpertWindow.start,
                                                           ExpertWindow.end).where(ExpertWindow.expert_id.in_(ids))):
        records[eid]["availability" if kind == "available" else "leave"].append(
            {"start": start.isoformat(), "end": end.isoformat()})
    return records


def _update_expert(session: Session, principal: Principal, row: Row, stored: dict, fields: set[str],
                   counts: dict) -> None:
    if "state" in row.cells and principal.role != Role.member_state and row.state != stored["state"]:
        row.error("state", f"the expert is nominated by {stored['state'] or 'nobody (UN staff)'}; an import cannot "
                           "change that: put that state, or leave the state column out")
        return
    diff = changes(stored, row.payload.model_dump(mode="json"), fields)
    if not diff:
        counts["unchanged"] += 1
        return
    expert = session.get(Expert, row.target)
    before = expert_repo.to_public(expert)
    try:
        with session.begin_nested():
            expert_repo.update(session, expert, ExpertUpdate.model_validate(diff))
    except (Invalid, Conflict) as exc:
        _roster_error(row, exc, "email")
        return
    audit.record(session, principal, "import", "expert", expert.id, before=before, after=expert_repo.to_public(expert))
    counts["updated"] += 1


# --- Offers --------------------------------------------------------------------------------


def _offer_plan(session: Session, principal: Principal, rows: list[Row], present: set[str]) -> None:
    existing = {(s, t): i for i, s, t in session.exec(select(Offer.id, Offer.state, Offer.title)).all()}
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
            row.error("title", f"the offer {data.title!r} of {row.state} is also on line {claimed[key]}: "
                               "list each offer once per file")
            continue
        claimed[key] = row.line
        row.target = existing.get(key)


UPDATABLE_OFFER = set(OfferUpdate.model_fields)


def _write_offers(session: Session, principal: Principal, rows: list[Row], present: set[str],
                  counts: dict, progress: Progress | None) -> None:
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
            _roster_error(row, exc, "title")
        if done % PROGRESS_EVERY == 0:
            _report(progress, "writing", done, len(good))


def _update_offer(session: Session, principal: Principal, row: Row, fields: set[str], counts: dict) -> None:
    offer = session.get(Offer, row.target)
    before = offer_repo.to_public(offer)
    diff = changes(before.model_dump(mode="json"), row.payload.model_dump(mode="json"), fields)
    if not diff:
        counts["unchanged"] += 1
        return
    offer_repo.update(session, principal, offer, OfferUpdate.model_validate(diff))
    audit.record(session, principal, "import", "offer", offer.id, before=before, after=offer_repo.to_public(offer))
    counts["updated"] += 1


# --- The import ----------------------------------------------------------------------------

STEPS = {
    "experts": (ExpertCreate, _expert_plan, _write_experts),
    "offers": (OfferCreate, _offer_plan, _write_offers),
}


def _report(progress: Progress | None, phase: str, done: int, total: int) -> None:
    if progress is not None:
        progress(phase, done, total)


def _errors(rows: list[Row]) -> list[RowError]:
    return [e for r in rows for e in r.errors]


def run_import(session: Session, principal: Principal, kind: Kind, content: bytes, *, dry_run: bool = False,
               partial: bool = False, progress: Progress | None = None) -> ImportReport:
    """Validate and (unless dry run or rejected) write a CSV or XLSX file of experts or offers."""
    empty = {"created": 0, "updated": 0, "unchanged": 0}
    try:
        header, header_line, data = read_rows(content, kind)
        names = check_header(header, kind, header_line)
    except FileError as exc:
        return ImportReport(rows=0, **empty, errors=exc.errors, dry_run=dry_run, partial=partial)
    model, plan, write = STEPS[kind]
    _report(progress, "validating", 0, len(data))
    rows = to_rows(names, data, kind)
    validate(rows, model, kind)
    present = {n for n in names if n}
    plan(session, principal, rows, present)
    _report(progress, "validating", len(rows), len(rows))
    counts = dict(empty)
    if not _errors(rows) or partial:
        try:
            write(session, principal, rows, present, counts, progress)
            session.flush()
        except IntegrityError:
            session.rollback()
            failure = RowError(line=header_line, column="file", value=None, message=(
                "the database refused the import (a duplicate key or a reference in use, perhaps written "
                "meanwhile): nothing was written; send the file again"))
            return ImportReport(rows=len(rows), **empty, errors=[failure], dry_run=dry_run, partial=partial)
    errors = _errors(rows)
    if dry_run or (errors and not partial):
        session.rollback()
    else:
        session.commit()
    if errors and not partial:
        counts = empty
    _report(progress, "done", len(rows), len(rows))
    return ImportReport(rows=len(rows), **counts, errors=errors, dry_run=dry_run, partial=partial)


# --- Templates -------------------------------------------------------------------------------


def template_csv(kind: Kind) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerow([c.name for c in COLUMNS[kind]])
    return out.getvalue()


def template_xlsx(kind: Kind) -> bytes:
    """The header row on the first sheet, and a 'help' sheet describing each column."""
    import openpyxl
    from openpyxl.styles import Font

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = kind
    sheet.append([c.name for c in COLUMNS[kind]])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    help_sheet = book.create_sheet("help")
    help_sheet.append(["column", "required", "format", "example"])
    for c in COLUMNS[kind]:
        help_sheet.append([c.name, "yes" if c.required else "", c.help, c.example])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
