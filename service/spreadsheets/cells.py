"""Cells to payloads: each cell typed by its column, each row checked with the API's create model, errors on the row."""

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from pydantic import BaseModel, ValidationError

from schemas.numbers import FROM_TEXT
from service.platform.errors import RosterError
from service.spreadsheets.columns import COLUMNS, FIX, Column, Kind
from service.spreadsheets.reading import Rows, blank
from service.spreadsheets.report import RowError

EXCEL_EPOCH = date(1899, 12, 30)


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


def _credential(item: str) -> dict:
    """``MEDICAL:2027-11-30`` or ``MEDICAL:2025-01-10/2027-11-30`` (issued/expires) as the API's credential."""
    code, sep, dates = item.partition(":")
    credential = {"code": code.strip().upper()}
    if sep:
        issued, slash, expires = dates.partition("/")
        credential |= (
            {"issued_on": issued.strip(), "expires_on": expires.strip()} if slash else {"expires_on": issued.strip()}
        )
    return credential


def _cell(column: Column, value: Any) -> Any:
    """A cell as the API would receive it; lists become the API's objects."""
    kind = column.kind
    if kind == "credentials":
        return [_credential(i) for i in _items(value)]
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


def to_cell(column: Column, value: Any) -> Any:
    """A stored value (a public model's dump) as the cell that imports it again: the inverse of ``_cell``."""
    kind = column.kind
    if value is None or kind not in LIST_TEXT:
        return value
    return "; ".join(LIST_TEXT[kind](item) for item in value)


def _credential_text(c: dict) -> str:
    return f"{c['code']}:{c['issued_on']}/{c['expires_on']}" if c.get("issued_on") else f"{c['code']}:{c['expires_on']}"


LIST_TEXT: dict[str, Callable[[Any], str]] = {
    "skills": lambda s: f"{s['code']}:{s['proficiency']}",
    "languages": lambda x: f"{x['code']}:{x['level']}",
    "levels": lambda level: str(getattr(level, "value", level)),
    "windows": lambda w: f"{w['start']}..{w['end']}",
    "codes": str,
    "credentials": _credential_text,
}


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
        self.errors.append(
            RowError(line=self.line, column=column, value=None if value is None else _text(value), message=message)
        )


def to_rows(header: list[str | None], data: Rows, kind: Kind) -> list[Row]:
    known = {c.name: c for c in COLUMNS[kind]}
    rows = []
    for line, cells in data:
        row = Row(line, {})
        for i, value in enumerate(cells):
            value = blank(value)
            name = header[i] if i < len(header) else None
            if name is None:
                if value is not None:
                    row.errors.append(
                        RowError(
                            line=line,
                            column=f"#{i + 1}",
                            value=_text(value),
                            message="a value in a column without a header: remove it or name the column",
                        )
                    )
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
            validated = model.model_validate(row.payload, context=FROM_TEXT)
        except ValidationError as exc:
            for err in exc.errors():
                loc = err.get("loc", ())
                name = str(loc[0]) if loc else _guess_column(str(err.get("msg", "")), list(known))
                row.error(name, _describe(row, known.get(name), err))
            continue
        if not row.errors:
            row.payload = validated


def roster_error(row: Row, exc: RosterError, default_column: str) -> None:
    if isinstance(exc.detail, list):
        for item in exc.detail:
            row.error(*_in_cell(row, item.get("field", default_column), item.get("message", str(item))))
    else:
        row.error(default_column, str(exc.detail))


def _in_cell(row: Row, field: str, message: str) -> tuple[str, str]:
    """An API field such as ``credentials.1.expires_on`` as the file's column and the item of its cell."""
    found = re.fullmatch(r"(\w+)\.(\d+)(\.\w+)?", field)
    if found is None or found[1] not in row.cells:
        return field, message
    items, index = _items(row.cells[found[1]] or ""), int(found[2])
    item = items[index] if index < len(items) else "?"
    return found[1], f"item {index + 1} ({item!r}): {message}"


# --- Comparing records ------------------------------------------------------------------------


# A credential's cell says its type and dates; who verified it and when stay as stored (see reference.credentials).
_CELL_SAYS = {"credentials": ("code", "issued_on", "expires_on")}


def _normal(value: Any, name: str = "") -> Any:
    """Lists compared without regard to order (the API stores and returns them sorted), by what a cell says."""
    if name in _CELL_SAYS and isinstance(value, list):
        value = [{k: v.get(k) for k in _CELL_SAYS[name]} for v in value]
    if isinstance(value, list):
        return sorted(value, key=lambda v: repr(sorted(v.items())) if isinstance(v, dict) else repr(v))
    return value


def changes(current: dict, wanted: dict, present: set[str]) -> dict:
    """The fields given in the file whose value differs from the stored record."""
    return {
        name: wanted[name]
        for name in present
        if name in wanted and _normal(wanted[name], name) != _normal(current.get(name), name)
    }
