"""Export tables: plans, deployments, experts, offers and the gap report as sheets of plain values, and their file
names."""

from collections.abc import Sequence

from pydantic import BaseModel
from sqlmodel import Session

from schemas.planning import AssignmentPublic, DeploymentPublic, UnfilledPublic
from schemas.reports import GapReport
from service.planning import repository as plan_repo
from service.platform.tables import Plan
from service.reports import gaps, rendering
from service.requests import repository as requests_repo
from service.spreadsheets.cells import to_cell
from service.spreadsheets.columns import COLUMNS, Kind
from service.spreadsheets.writing import Format, Table, to_xlsx

# --- Plans -------------------------------------------------------------------------------------

PLAN_SHEETS = ("assignments", "unfilled")


def assignments_table(rows: list[AssignmentPublic], places: dict[int, str]) -> Table:
    scores = sorted({name for a in rows for name in a.score})
    columns = [
        "id",
        "plan_id",
        "request_id",
        "mission",
        "position_id",
        "position_title",
        "seat",
        "supplier_id",
        "supplier_kind",
        "supplier_name",
        "supplier_state",
        "slot",
        "start_date",
        "end_date",
        "total",
        *[f"score_{s}" for s in scores],
        "review",
        "reviewed_by",
        "reviewed_at",
        "deployment_id",
    ]
    return Table(
        "assignments",
        columns,
        [
            [
                a.id,
                a.plan_id,
                a.request_id,
                places.get(a.request_id, a.mission),
                a.position_id,
                a.position_title,
                a.seat,
                a.supplier.id,
                a.supplier.kind,
                a.supplier.name,
                a.supplier.state,
                a.slot,
                a.start_date,
                a.end_date,
                a.total,
                *[a.score.get(s) for s in scores],
                a.review,
                a.reviewed_by,
                a.reviewed_at,
                a.deployment_id,
            ]
            for a in rows
        ],
    )


def unfilled_table(rows: list[UnfilledPublic], places: dict[int, str]) -> Table:
    columns = ["position_id", "position_title", "request_id", "mission", "seat", "rule", "reason"]
    return Table(
        "unfilled",
        columns,
        [
            [
                u.position_id,
                u.position_title,
                u.request_id,
                places.get(u.request_id, u.mission),
                u.seat,
                gaps.main_rule(u.detail),
                u.reason,
            ]
            for u in rows
        ],
    )


def plan_tables(session: Session, plan: Plan) -> list[Table]:
    """The plan's assignments and its unfilled seats, as the JSON endpoints give them (a request outside a
    mission labelled as such)."""
    assigned, unfilled = plan_repo.assignments(session, plan, []), plan_repo.unfilled(session, plan)
    places = requests_repo.places(session, {r.request_id for r in [*assigned, *unfilled]})
    return [assignments_table(assigned, places), unfilled_table(unfilled, places)]


def plan_filename(plan_id: int, format: Format, sheet: str | None = None) -> str:
    suffix = f"-{sheet}" if format == "csv" and sheet else ""
    return f"plan-{plan_id}{suffix}.{format}"


# --- Deployments ---------------------------------------------------------------------------------

DEPLOYMENT_COLUMNS = [
    "id",
    "mission",
    "request_id",
    "position_id",
    "seat",
    "supplier_id",
    "supplier_kind",
    "supplier_name",
    "contributing_state",
    "slot",
    "start_date",
    "end_date",
    "status",
    "plan_id",
    "approved_by",
    "note",
    "version",
    "created_at",
    "updated_at",
]


def deployments_table(rows: list[DeploymentPublic], places: dict[int, str]) -> Table:
    return Table(
        "deployments",
        DEPLOYMENT_COLUMNS,
        [
            [
                d.id,
                places.get(d.request_id, d.mission),
                d.request_id,
                d.position_id,
                d.seat,
                d.supplier.id,
                d.supplier.kind,
                d.supplier.name,
                d.contributing_state,
                d.slot,
                d.start_date,
                d.end_date,
                d.status,
                d.plan_id,
                d.approved_by,
                d.note,
                d.version,
                d.created_at,
                d.updated_at,
            ]
            for d in rows
        ],
    )


# --- Experts and offers, as their import files -----------------------------------------------------


def records_table(kind: Kind, rows: Sequence[BaseModel], hidden: frozenset[str] = frozenset()) -> Table:
    """Experts or offers in the columns of their import file, each cell as an import reads it: a file exported,
    edited and imported again changes only what was edited. The ``hidden`` columns (personal fields the reader
    may not see) are left out rather than left blank: an import keeps a column left out as stored, a blank
    cell would erase it."""
    columns = [c for c in COLUMNS[kind] if c.name not in hidden]
    return Table(
        kind,
        [c.name for c in columns],
        [[to_cell(c, values.get(c.name)) for c in columns] for values in (r.model_dump() for r in rows)],
    )


# --- The gap report ------------------------------------------------------------------------------


def gap_tables(report: GapReport, places: dict[int, str]) -> list[Table]:
    """Cells (the CSV's columns), unfilled seats, top reasons and the totals."""
    cells = Table(
        "gaps",
        rendering.CSV_COLUMNS,
        [
            [
                getattr(c, name) if name != "positions" else " ".join(map(str, c.positions))
                for name in rendering.CSV_COLUMNS
            ]
            for c in report.cells
        ],
    )
    unfilled = Table(
        "unfilled",
        ["position_id", "request_id", "title", "mission", "seat", "reason", "blocked_by_credentials"],
        [
            [
                u.position_id,
                u.request_id,
                u.title,
                places.get(u.request_id, u.mission),
                u.seat,
                u.reason,
                rendering.credential_words(u),
            ]
            for u in report.unfilled
        ],
    )
    reasons = Table("top_reasons", ["rule", "count"], [[r.rule, r.count] for r in report.top_reasons])
    plan = report.latest_plan
    summary = Table(
        "summary",
        ["item", "value"],
        [
            ["from", report.from_],
            ["to", report.to],
            ["quarters", report.quarters],
            ["demand", report.totals.demand],
            ["supply", report.totals.supply],
            ["gap", report.totals.gap],
            ["latest_plan", plan.id if plan else None],
        ],
    )
    return [cells, unfilled, reasons, summary]


def render_gaps(report: GapReport, format: Format, places: dict[int, str]) -> bytes:
    if format == "csv":
        return rendering.to_csv(report).encode("utf-8")
    return to_xlsx(gap_tables(report, places))


def gaps_filename(report: GapReport, format: Format) -> str:
    return rendering.csv_filename(report).removesuffix(".csv") + f".{format}"
