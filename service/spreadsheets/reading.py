"""Reading an import file: CSV or XLSX bytes into a header and numbered rows of raw cells, within the size limits."""

import csv
import io
import re
from collections.abc import Iterator
from typing import Any

from service.spreadsheets.columns import COLUMNS, Kind
from service.spreadsheets.report import FileError, RowError, file_error

MAX_ROWS = 50_000
MAX_UNPACKED_BYTES = 200_000_000  # an XLSX is a zip: refuse one that unpacks to more (a "zip bomb")

Rows = list[tuple[int, list[Any]]]  # (line, cells)


def _xlsx_rows(content: bytes, kind: Kind) -> Rows:
    """The rows of the sheet named ``kind`` (else the first), from A1, read by calamine."""
    import zipfile

    from python_calamine import CalamineWorkbook

    try:
        unpacked = sum(m.file_size for m in zipfile.ZipFile(io.BytesIO(content)).infolist())
    except zipfile.BadZipFile:
        raise file_error("this is not an XLSX file: save it from Excel as .xlsx, or send CSV") from None
    if unpacked > MAX_UNPACKED_BYTES:
        raise file_error(
            f"the XLSX file unpacks to {unpacked:,} bytes, over {MAX_UNPACKED_BYTES:,}: split it or send CSV"
        )
    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(content))
        name = kind if kind in book.sheet_names else book.sheet_names[0]
        grid = book.get_sheet_by_name(name).to_python(skip_empty_area=False, nrows=MAX_ROWS + 2)
    except Exception as exc:
        raise file_error(
            f"cannot read the XLSX file ({exc.__class__.__name__}): save it again from Excel as .xlsx, or send CSV"
        ) from None
    return list(enumerate(grid, start=1))


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


def read_rows(content: bytes, kind: Kind) -> tuple[list[str], int, Rows]:
    """The header (normalised names), its line and the non-empty data rows with their line numbers."""
    if content[:4] == b"\xd0\xcf\x11\xe0":
        raise file_error("this is an old .xls workbook: save it as .xlsx (Excel Workbook) or as CSV")
    rows = _xlsx_rows(content, kind) if content[:2] == b"PK" else _csv_rows(content)
    header, header_line, data = None, 0, []
    for line, cells in rows:
        if not any(blank(c) is not None for c in cells) or str(cells[0] or "").startswith("#"):
            continue
        if header is None:
            header, header_line = [_name(c) for c in cells], line
            continue
        data.append((line, list(cells)))
        if len(data) > MAX_ROWS:
            raise file_error(f"more than {MAX_ROWS} rows: split the file", line=line)
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
