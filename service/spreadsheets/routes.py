"""Routes: spreadsheet import (experts, offers) and export (experts, offers, plans, deployments, the gap report)."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any, Literal

import anyio
from fastapi import APIRouter, File, Query, Request, Response, UploadFile
from fastapi.responses import JSONResponse

from schemas.dates import Day
from schemas.enums import Level
from service.deployments.routes import DeploymentFilters
from service.platform.deps import ContributorUser, CurrentUser, SessionDep, StaffUser
from service.platform.params import Id
from service.platform.turns import RETRY_AFTER_SECONDS, one_at_a_time
from service.platform.unit import Unit
from service.spreadsheets import service
from service.spreadsheets.columns import Kind, columns_markdown
from service.spreadsheets.report import ImportReport
from service.spreadsheets.writing import MEDIA_TYPES, attachment, template_csv, template_xlsx

router = APIRouter(tags=["import and export"])

ExportFormat = Annotated[Literal["csv", "xlsx"], Query(description="csv or xlsx")]

IMPORT_RULES = """Send the file as multipart form data in the field `file`: CSV (UTF-8, comma-separated) or
XLSX (the first sheet, or the one named `{kind}`), with a header row naming the columns below in any order;
columns left out keep their stored value on re-import, or take the API's default. Download a template from
`GET /{kind}/import/template?format=xlsx` (its `help` sheet repeats this table). Lists are separated by `;`.
Empty rows, and rows whose first cell starts with `#`, are skipped. At most 50,000 rows a file.

Rows are validated one by one with the API's rules (`POST /{kind}`). The answer lists every bad cell as
`{{line, column, value, message}}`, the header being line 1.

- **All or nothing** (default): one bad row and nothing is written; the answer is **422** with the report.
- `?partial=true`: the good rows are written; **207** with the report of the bad ones (**200** when none).
- `?dry_run=true`: the same checks and the same answer, but nothing is written.
- **Re-importing updates** instead of duplicating: {key}. A row whose values equal the stored record counts as
  `unchanged`.
- Member States import for their own state (`state` may be left empty); a row naming another state is an
  error. HQ may import for any state.
- Every created or updated record gets an audit entry (action `import`).

"""

EXPERT_KEY = (
    "an expert is matched on `email`, else on (`nationality`, `national_id`); a key held by an "
    "expert of another state is an error for Member States"
)
OFFER_KEY = "an offer is matched on (`state`, `title`)"


def _description(kind: Kind, key: str) -> str:
    return IMPORT_RULES.format(kind=kind, key=key) + columns_markdown(kind)


IMPORT_RESPONSES: dict[int | str, dict[str, Any]] = {
    207: {"model": ImportReport, "description": "partial import: the good rows were written"},
    422: {"model": ImportReport, "description": "rejected: nothing was written (the report says why)"},
    429: {
        "description": "an import from the same token is still running: imports from one token run one at a "
        "time; send this one again when that one has answered",
        "headers": {"Retry-After": {"description": "seconds to wait", "schema": {"type": "integer"}}},
    },
}
BUSY = (
    "an import of yours (this token's) is still running: wait for its answer, then send this file again; "
    f"imports from one token run one at a time (retry in {RETRY_AFTER_SECONDS} s)"
)


def _answer(report: ImportReport) -> JSONResponse:
    body = report.model_dump(mode="json")
    if report.rejected:
        detail = (
            f"{report.total_errors} error(s) in {report.bad_rows} row(s); nothing was imported: fix the rows listed "
            "in 'errors', or send ?partial=true to import the good rows"
        )
        return JSONResponse({"error": "import_rejected", "detail": detail} | body, 422)
    return JSONResponse(body, 207 if report.errors else 200)


async def _import(request: Request, session, principal, kind: Kind, file: UploadFile, dry_run: bool, partial: bool):
    """The import on a thread of the imports' own pool: a long import never holds a thread that reads wait for."""
    content = await file.read()

    def run() -> ImportReport:
        # no request: the status (200, 207 or 422) follows from the report, so the middleware keeps it as sent
        return service.run_import(
            Unit.of(session, principal), kind=kind, content=content, dry_run=dry_run, partial=partial
        )

    async with _turn(session, principal):  # taken before waiting for a thread: a second import is told at once
        report = await anyio.to_thread.run_sync(run, limiter=request.app.state.import_threads)
    return _answer(report)


@asynccontextmanager
async def _turn(session, principal) -> AsyncIterator[None]:
    """The caller's import turn (429 if taken), taken and let go on a thread: both wait on the database."""
    turn = one_at_a_time(session.get_bind(), f"import by token {principal.token_id}", BUSY)
    await anyio.to_thread.run_sync(turn.__enter__)
    try:
        yield
    finally:
        await anyio.to_thread.run_sync(turn.__exit__, None, None, None)


DryRun = Annotated[bool, Query(description="validate and report; write nothing")]
Partial = Annotated[bool, Query(description="write the good rows even if some are bad")]
Upload = Annotated[UploadFile, File(description="the CSV or XLSX file")]


@router.post(
    "/experts/import",
    response_model=ImportReport,
    responses=IMPORT_RESPONSES,
    summary="Import experts from CSV or XLSX",
    description=_description("experts", EXPERT_KEY),
)
async def import_experts(
    request: Request,
    session: SessionDep,
    principal: ContributorUser,
    file: Upload,
    dry_run: DryRun = False,
    partial: Partial = False,
):
    return await _import(request, session, principal, "experts", file, dry_run, partial)


@router.post(
    "/offers/import",
    response_model=ImportReport,
    responses=IMPORT_RESPONSES,
    summary="Import offers from CSV or XLSX",
    description=_description("offers", OFFER_KEY),
)
async def import_offers(
    request: Request,
    session: SessionDep,
    principal: ContributorUser,
    file: Upload,
    dry_run: DryRun = False,
    partial: Partial = False,
):
    return await _import(request, session, principal, "offers", file, dry_run, partial)


def _template(kind: Kind, format: str) -> Response:
    content = template_xlsx(kind) if format == "xlsx" else template_csv(kind).encode()
    return attachment(content, format, f"{kind}-template.{format}")


TEMPLATE_RESPONSES: dict[int | str, dict[str, Any]] = {200: {"content": {m: {} for m in MEDIA_TYPES.values()}}}


@router.get("/experts/import/template", response_class=Response, responses=TEMPLATE_RESPONSES)
def experts_template(_: ContributorUser, format: ExportFormat = "xlsx"):
    """An empty import file for experts: the header row, and in XLSX a 'help' sheet on each column."""
    return _template("experts", format)


@router.get("/offers/import/template", response_class=Response, responses=TEMPLATE_RESPONSES)
def offers_template(_: ContributorUser, format: ExportFormat = "xlsx"):
    """An empty import file for offers: the header row, and in XLSX a 'help' sheet on each column."""
    return _template("offers", format)


# --- Exports -------------------------------------------------------------------------------------


@router.get("/experts/export", response_class=Response, responses=TEMPLATE_RESPONSES)
def export_experts(session: SessionDep, principal: CurrentUser, format: ExportFormat = "xlsx"):
    """Every expert GET /experts would list (Member States: their own), as an import file: edit and import it again."""
    content, filename = service.records_export(session, principal=principal, kind="experts", format=format)
    return attachment(content, format, filename)


@router.get("/offers/export", response_class=Response, responses=TEMPLATE_RESPONSES)
def export_offers(session: SessionDep, principal: CurrentUser, format: ExportFormat = "xlsx"):
    """Every offer GET /offers would list (Member States: their own), as an import file: edit and import it again."""
    content, filename = service.records_export(session, principal=principal, kind="offers", format=format)
    return attachment(content, format, filename)


@router.get("/plans/{plan_id:int}/export", response_class=Response, responses=TEMPLATE_RESPONSES)
def export_plan(
    session: SessionDep,
    _: StaffUser,
    plan_id: Id,
    format: ExportFormat = "xlsx",
    sheet: Annotated[Literal["assignments", "unfilled"], Query(description="CSV only: which table")] = "assignments",
):
    """A plan's assignments and unfilled seats: XLSX with a sheet each, or one of them as CSV."""
    content, filename = service.plan_export(session, plan_id=plan_id, format=format, sheet=sheet)
    return attachment(content, format, filename)


@router.get("/deployments/export", response_class=Response, responses=TEMPLATE_RESPONSES)
def export_deployments(
    session: SessionDep,
    principal: CurrentUser,
    conditions: DeploymentFilters,
    format: ExportFormat = "xlsx",
):
    """Every deployment GET /deployments would list with the same filters (no paging); Member States see their own."""
    content, filename = service.deployments_export(session, principal=principal, conditions=conditions, format=format)
    return attachment(content, format, filename)


@router.get("/reports/gaps/export", response_class=Response, responses=TEMPLATE_RESPONSES)
def export_gaps(
    session: SessionDep,
    principal: CurrentUser,
    format: ExportFormat = "xlsx",
    start: Annotated[Day | None, Query(alias="from", description="first day; default: this quarter's start")] = None,
    end: Annotated[Day | None, Query(alias="to", description="last day; default: 8 quarters ahead")] = None,
    mission: Annotated[str | None, Query(max_length=20, description="mission code: demand and unfilled only")] = None,
    level: Level | None = None,
    skill: Annotated[str | None, Query(max_length=24, description="skill code")] = None,
):
    """The gap report of GET /reports/gaps: CSV (one row per cell) or XLSX (cells, unfilled, reasons, totals)."""
    content, filename = service.gaps_export(
        session, principal=principal, start=start, end=end, mission=mission, level=level, skill=skill, format=format
    )
    return attachment(content, format, filename)
