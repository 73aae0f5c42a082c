"""Spreadsheet export of plans, deployments and the gap report, as CSV or XLSX."""

import csv
import io
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum
from typing import Any, Literal

from sqlmodel import Session

from schemas.planning import AssignmentPublic, DeploymentPublic, UnfilledPublic
from service.reports import gaps as reports
from service.planning import repository as plan_repo
from service.platform.tables import Plan

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


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: Any) -> Any:
    """Text a spreadsheet would run as a formula (=HYPERLINK(...), +cmd, @SUM) gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def to_csv(table: Table) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(table.columns)
    for row in table.rows:
        writer.writerow([spreadsheet_safe("" if v is None else (v.isoformat() if isinstance(v, datetime) else v))
                         for v in map(_plain, row)])
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


# --- Plans -------------------------------------------------------------------------------------

PLAN_SHEETS = ("assignments", "unfilled")


def assignments_table(rows: list[AssignmentPublic]) -> Table:
    scores = sorted({name for a in rows for name in a.score})
    columns = ["id", "plan_id", "request_id", "mission", "position_id", "position_title", "seat", "supplier_id",
               "supplier_kind", "supplier_name", "supplier_state", "slot", "start_date", "end_date", "total",
               *[f"score_{s}" for s in scores], "review", "reviewed_by", "reviewed_at", "deployment_id"]
    return Table("assignments", columns, [
        [a.id, a.plan_id, a.request_id, a.mission, a.position_id, a.position_title, a.seat, a.supplier.id,
         a.supplier.kind, a.supplier.name, a.supplier.state, a.slot, a.start_date, a.end_date, a.total,
         *[a.score.get(s) for s in scores], a.review, a.reviewed_by, a.reviewed_at, a.deployment_id]
        for a in rows
    ])


def unfilled_table(rows: list[UnfilledPublic]) -> Table:
    columns = ["position_id", "position_title", "request_id", "mission", "seat", "rule", "reason"]
    return Table("unfilled", columns, [
        [u.position_id, u.position_title, u.request_id, u.mission, u.seat, reports.main_rule(u.detail), u.reason]
        for u in rows
    ])


def plan_tables(session: Session, plan: Plan) -> list[Table]:
    """The plan's assignments and its unfilled seats, as the JSON endpoints give them."""
    return [assignments_table(plan_repo.assignments(session, plan, [])),
            unfilled_table(plan_repo.unfilled(session, plan))]


def plan_filename(plan_id: int, format: Format, sheet: str | None = None) -> str:
    suffix = f"-{sheet}" if format == "csv" and sheet else ""
    return f"plan-{plan_id}{suffix}.{format}"


# --- Deployments ---------------------------------------------------------------------------------

DEPLOYMENT_COLUMNS = ["id", "mission", "request_id", "position_id", "seat", "supplier_id", "supplier_kind",
                      "supplier_name", "contributing_state", "slot", "start_date", "end_date", "status", "plan_id",
                      "approved_by", "note", "version", "created_at", "updated_at"]


def deployments_table(rows: list[DeploymentPublic]) -> Table:
    return Table("deployments", DEPLOYMENT_COLUMNS, [
        [d.id, d.mission, d.request_id, d.position_id, d.seat, d.supplier.id, d.supplier.kind, d.supplier.name,
         d.contributing_state, d.slot, d.start_date, d.end_date, d.status, d.plan_id, d.approved_by, d.note,
         d.version, d.created_at, d.updated_at]
        for d in rows
    ])


# --- The gap report ------------------------------------------------------------------------------


def gap_tables(report: reports.GapReport) -> list[Table]:
    """Cells (the CSV's columns), unfilled seats, top reasons and the totals."""
    cells = Table("gaps", reports.CSV_COLUMNS, [
        [getattr(c, name) if name != "positions" else " ".join(map(str, c.positions))
         for name in reports.CSV_COLUMNS]
        for c in report.cells
    ])
    unfilled = Table("unfilled", ["position_id", "request_id", "title", "mission", "seat", "reason"], [
        [u.position_id, u.request_id, u.title, u.mission, u.seat, u.reason] for u in report.unfilled
    ])
    reasons = Table("top_reasons", ["rule", "count"], [[r.rule, r.count] for r in report.top_reasons])
    plan = report.latest_plan
    summary = Table("summary", ["item", "value"], [
        ["from", report.from_], ["to", report.to], ["quarters", report.quarters],
        ["demand", report.totals.demand], ["supply", report.totals.supply], ["gap", report.totals.gap],
        ["latest_plan", plan.id if plan else None],
    ])
    return [cells, unfilled, reasons, summary]


def render_gaps(report: reports.GapReport, format: Format) -> bytes:
    if format == "csv":
        return reports.to_csv(report).encode("utf-8")
    return to_xlsx(gap_tables(report))


def gaps_filename(report: reports.GapReport, format: Format) -> str:
    return reports.csv_filename(report).removesuffix(".csv") + f".{format}"
