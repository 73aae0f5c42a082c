"""Writing spreadsheets: tables of plain values into CSV or XLSX bytes (text never runs as a formula), and the
import templates."""

import csv
import io
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum
from typing import Any, Literal

from starlette.responses import Response

from service.reports.rendering import spreadsheet_safe
from service.spreadsheets.columns import COLUMNS, Kind

Format = Literal["csv", "xlsx"]
MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@dataclass
class Table:
    """One sheet: a name, a header and rows of plain values."""

    name: str
    columns: list[str]
    rows: list[list[Any]]


def _plain(value: Any) -> Any:
    """A value a spreadsheet cell can hold: enums by value, lists joined, datetimes in naive UTC."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC).replace(tzinfo=None)
    if isinstance(value, (list, tuple)):
        return "; ".join(str(_plain(v)) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k}={_plain(v)}" for k, v in value.items())
    return value


def to_csv(table: Table) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(table.columns)
    for row in table.rows:
        writer.writerow(
            [
                spreadsheet_safe("" if v is None else (v.isoformat() if isinstance(v, datetime) else v))
                for v in map(_plain, row)
            ]
        )
    return out.getvalue().encode("utf-8")


def to_xlsx(tables: list[Table]) -> bytes:
    """A workbook with one sheet per table, written in streaming mode; text is never read as a formula."""
    import openpyxl
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    book = openpyxl.Workbook(write_only=True)
    for table in tables:
        sheet = book.create_sheet(table.name[:31])
        header = []
        for name in table.columns:
            cell = WriteOnlyCell(sheet, value=name)
            cell.font = Font(bold=True)
            header.append(cell)
        sheet.append(header)
        sheet.freeze_panes = "A2"
        for row in table.rows:
            sheet.append([_xlsx_cell(sheet, WriteOnlyCell, _plain(v)) for v in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _xlsx_cell(sheet, cell_type, value: Any) -> Any:
    if isinstance(value, str):
        # XML 1.0 has no place for most control characters; openpyxl refuses them rather than write a broken file
        from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

        value = ILLEGAL_CHARACTERS_RE.sub("\N{REPLACEMENT CHARACTER}", value)
    if isinstance(value, str) and value.startswith("="):
        cell = cell_type(sheet, value=value)
        cell.data_type = "s"
        return cell
    return value


def render(tables: list[Table], format: Format, sheet: str | None = None) -> bytes:
    """XLSX holds every table; CSV the one named ``sheet`` (default: the first)."""
    if format == "xlsx":
        return to_xlsx(tables)
    chosen = next((t for t in tables if t.name == sheet), tables[0]) if sheet else tables[0]
    return to_csv(chosen)


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


def attachment(content: bytes, format: Format, filename: str) -> Response:
    """A file to download: the API's exports and the pages' export buttons answer with this."""
    return Response(
        content, media_type=MEDIA_TYPES[format], headers={"Content-Disposition": f'attachment; filename="{filename}"'}
    )
