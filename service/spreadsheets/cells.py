"""Cells to payloads: each cell typed by its column, each row checked with the API's create model, errors on the row."""

import re
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
    return {
        name: wanted[name] for name in present if name in wanted and _normal(wanted[name]) != _normal(current.get(name))
    }
