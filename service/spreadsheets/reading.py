"""Reading an import file: CSV or XLSX bytes into a header and numbered rows of raw cells, within the size limits."""

import csv
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from service.spreadsheets.columns import COLUMNS, Kind
from service.spreadsheets.report import FileError, RowError, file_error

MAX_ROWS = 50_000
MAX_COLUMNS = 200  # the widest template has 30 columns
MAX_CELL_CHARS = 32_768
MAX_UNPACKED_BYTES = 200_000_000  # an XLSX is a zip: refuse one that unpacks to more (a "zip bomb")
# A worksheet's cells name their place (r="XFD1048576"); the reader sizes its grid by the farthest one,
# so one stray cell there asked for 549 GB and killed the process. Read the places first, cheaply.
_CELL_PLACE = re.compile(rb'<(?:\w+:)?c\b[^>]*?\sr="([A-Z]{1,3})([0-9]{1,7})"')
_ROW_PLACE = re.compile(rb'<(?:\w+:)?row\b[^>]*?\sr="([0-9]{1,7})"')
_CHUNK = 1 << 20

Rows = list[tuple[int, list[Any]]]  # (line, cells)


@dataclass(frozen=True)
class Limits:
    """The caps of one read, taken from this module when the import starts and handed to the child that reads."""

    rows: int
    columns: int
    cell_chars: int
    unpacked_bytes: int

    @classmethod
    def current(cls) -> "Limits":
        return cls(MAX_ROWS, MAX_COLUMNS, MAX_CELL_CHARS, MAX_UNPACKED_BYTES)


def _xlsx_rows(content: bytes, kind: Kind, limits: Limits) -> Rows:
    """The rows of the sheet named ``kind`` (else the first), from A1, read by calamine."""
    from python_calamine import CalamineWorkbook

    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
        unpacked = sum(m.file_size for m in archive.infolist())
    except zipfile.BadZipFile:
        raise file_error("this is not an XLSX file: save it from Excel as .xlsx, or send CSV") from None
    if unpacked > limits.unpacked_bytes:
        raise file_error(
            f"the XLSX file unpacks to {unpacked:,} bytes, over {limits.unpacked_bytes:,}: split it or send CSV"
        )
    _check_extent(archive, limits)
    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(content))
        name = kind if kind in book.sheet_names else book.sheet_names[0]
        grid = book.get_sheet_by_name(name).to_python(skip_empty_area=False, nrows=limits.rows + 2)
    except Exception as exc:
        raise file_error(
            f"cannot read the XLSX file ({exc.__class__.__name__}): save it again from Excel as .xlsx, or send CSV"
        ) from None
    return list(enumerate(grid, start=1))


def _check_extent(archive: zipfile.ZipFile, limits: Limits) -> None:
    """Refuse a worksheet whose cells reach beyond the row or column cap, before it is read."""
    for member in archive.infolist():
        if not (member.filename.startswith("xl/worksheets/") and member.filename.endswith(".xml")):
            continue
        try:
            rows, columns = _extent(archive, member)
        except (zipfile.BadZipFile, OSError, EOFError):
            raise file_error("cannot read the XLSX file: save it again from Excel as .xlsx, or send CSV") from None
        if rows > limits.rows + 100 or columns > limits.columns:
            raise file_error(
                f"a sheet of this file reaches row {rows:,} and column {columns:,}; an import takes at most "
                f"{limits.rows:,} rows and {limits.columns} columns: "
                "split the file, or delete stray cells far below or "
                "right of the table (select them, Delete Sheet Rows / Columns), or send CSV"
            )


def _extent(archive: zipfile.ZipFile, member: zipfile.ZipInfo) -> tuple[int, int]:
    """The farthest row and column any cell or row of the sheet names, read in chunks (never the whole sheet)."""
    rows = columns = 0
    tail = b""
    with archive.open(member) as sheet:
        while chunk := sheet.read(_CHUNK):
            text = tail + chunk
            for letters, number in _CELL_PLACE.findall(text):
                columns = max(columns, _column_number(letters))
                rows = max(rows, int(number))
            for number in _ROW_PLACE.findall(text):
                rows = max(rows, int(number))
            tail = text[-200:]  # a tag cut between two chunks is read whole with the next
    return rows, columns


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + letter - 64
    return number


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
        raise file_error(
            f"malformed CSV near line {reader.line_num}: {exc}; check the quotes", line=reader.line_num
        ) from None


def read_rows(content: bytes, kind: Kind, limits: Limits | None = None) -> tuple[list[str], int, Rows]:
    """The header (normalised names), its line and the non-empty data rows with their line numbers."""
    limits = limits or Limits.current()
    if content[:4] == b"\xd0\xcf\x11\xe0":
        raise file_error("this is an old .xls workbook: save it as .xlsx (Excel Workbook) or as CSV")
    rows = _xlsx_rows(content, kind, limits) if content[:2] == b"PK" else _csv_rows(content)
    header, header_line, data = None, 0, []
    for line, cells in rows:
        if not any(blank(c) is not None for c in cells) or str(cells[0] or "").startswith("#"):
            continue
        if len(cells) > limits.columns and any(blank(c) is not None for c in cells[limits.columns :]):
            raise file_error(
                f"line {line} has {len(cells):,} cells; an import takes at most {limits.columns} columns: "
                "remove the extra columns",
                line=line,
            )
        if any(isinstance(c, str) and len(c) > limits.cell_chars for c in cells):
            raise file_error(
                f"a cell of line {line} holds more than {limits.cell_chars:,} characters: shorten it", line=line
            )
        if header is None:
            header, header_line = [_name(c) for c in cells[: limits.columns]], line
            continue
        data.append((line, list(cells[: limits.columns])))
        if len(data) > limits.rows:
            raise file_error(f"more than {limits.rows} rows: split the file", line=line)
    if header is None:
        raise file_error("the file is empty: download the template (GET /experts/import/template) and fill it in")
    return header, header_line, data


def _name(cell: Any) -> str:
    return re.sub(r"[\s-]+", "_", str(cell or "").strip().lower())


def blank(value: Any) -> Any:
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
            errors.append(
                RowError(
                    line=line,
                    column=name,
                    value=name,
                    message=(
                        f"unknown column {name!r}: remove it or check its spelling; the columns are " + ", ".join(known)
                    ),
                )
            )
        elif name in seen:
            errors.append(RowError(line=line, column=name, value=name, message="column given twice: keep one"))
        seen.add(name)
    for c in COLUMNS[kind]:
        if c.required and c.name not in seen:
            errors.append(
                RowError(
                    line=line,
                    column=c.name,
                    value=None,
                    message=f"required column {c.name!r} is missing: add it to the header row",
                )
            )
    if errors:
        raise FileError(errors)
    return [name or None for name in header]
