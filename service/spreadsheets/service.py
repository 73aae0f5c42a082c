"""The use cases of spreadsheets: import a file of experts or offers; export experts, offers, plans, deployments and
the gap report."""

from datetime import date

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from schemas.enums import Level
from service.deployments import service as deployments
from service.offers import repository as offer_repo
from service.planning import repository as plan_repo
from service.platform import heavy, hooks, locks
from service.platform.auth import Principal
from service.platform.personal import AUDITED, hidden_fields, record_export, viewer
from service.platform.settings import get_settings
from service.platform.unit import Unit
from service.platform.usecase import use_case
from service.reports import service as reports
from service.requests import repository as requests_repo
from service.roster import repository as roster_repo
from service.spreadsheets import experts, offers, tables
from service.spreadsheets.cells import Row
from service.spreadsheets.columns import Kind
from service.spreadsheets.parsing import Budget, Parsed, parse, parse_in_child
from service.spreadsheets.report import FileError, ImportReport, Progress, RowError, capped, tell
from service.spreadsheets.writing import Format, render

MAX_EXPORT_ROWS = 1_000_000
STEPS = {"experts": (experts.plan, experts.write), "offers": (offers.plan, offers.write)}
REFUSED = (
    "the database refused the import (a duplicate key or a reference in use, perhaps written "
    "meanwhile): nothing was written; send the file again"
)


def _report(rows: list[Row], counts: dict, errors: list[RowError], *, dry_run: bool, partial: bool) -> ImportReport:
    bad_rows = sum(1 for r in rows if r.errors)
    listed = capped(errors, bad_rows, get_settings().import_max_errors)
    return ImportReport(rows=len(rows), **counts, **listed, dry_run=dry_run, partial=partial)


def _errors(rows: list[Row]) -> list[RowError]:
    return [e for r in rows for e in r.errors]


def _parse(content: bytes, kind: Kind) -> Parsed:
    """The file's rows validated, read in a child process within the settings' memory and time (parsing.py)."""
    settings = get_settings()
    if not settings.import_in_child:
        return parse(content, kind)
    return parse_in_child(content, kind, Budget(settings.import_memory_mb << 20, settings.import_seconds))


@use_case
def run_import(
    unit: Unit,
    *,
    kind: Kind,
    content: bytes,
    dry_run: bool = False,
    partial: bool = False,
    progress: Progress | None = None,
) -> ImportReport:
    """Validate and (unless dry run or rejected) write a CSV or XLSX file of experts or offers."""
    with heavy.paused():  # no full collection stalls the process meanwhile, nor a long lock hold (platform/heavy.py)
        return _run_import(unit, kind=kind, content=content, dry_run=dry_run, partial=partial, progress=progress)


def _run_import(
    unit: Unit, *, kind: Kind, content: bytes, dry_run: bool, partial: bool, progress: Progress | None
) -> ImportReport:
    session, principal = unit.session, unit.principal
    empty = {"created": 0, "updated": 0, "unchanged": 0}
    try:
        parsed = _parse(content, kind)
    except FileError as exc:
        return _report([], empty, exc.errors, dry_run=dry_run, partial=partial)
    plan, write = STEPS[kind]
    rows, present, counts = parsed.rows, {n for n in parsed.names if n}, dict(empty)
    tell(progress, "validating", 0, len(rows))
    plan(session, principal, rows, present)
    tell(progress, "validating", len(rows), len(rows))
    if not _errors(rows) or partial:
        try:
            updated = _lock_updated(session, kind, rows)
            write(session, principal, rows, present, counts, progress)
            session.flush()
            hooks.announce(unit, **{kind: updated})
        except IntegrityError:
            session.rollback()
            failure = RowError(line=parsed.header_line, column="file", value=None, message=REFUSED)
            return _report(rows, empty, [failure], dry_run=dry_run, partial=partial)
    errors = _errors(rows)
    report = _report(rows, empty if errors and not partial else counts, errors, dry_run=dry_run, partial=partial)
    if dry_run or (errors and not partial):
        session.rollback()
    else:
        unit.commit(report)
    tell(progress, "done", len(rows), len(rows))
    return report


def _lock_updated(session: Session, kind: Kind, rows: list[Row]) -> list[int]:
    """The ids of the stored experts or offers the rows update, their booking locks taken before they change."""
    updated = sorted({r.target for r in rows if r.target is not None and not r.errors})
    letter = "E" if kind == "experts" else "O"
    locks.lock_suppliers(session, (f"{letter}{i}" for i in updated))
    return updated


def plan_export(session: Session, *, plan_id: int, format: Format, sheet: str | None) -> tuple[bytes, str]:
    """A plan's assignments and unfilled seats as a file, and its name; 404 for an unknown plan."""
    plan = plan_repo.get(session, plan_id)
    return render(tables.plan_tables(session, plan), format, sheet), tables.plan_filename(plan_id, format, sheet)


def deployments_export(
    session: Session, *, principal: Principal, conditions: list, format: Format
) -> tuple[bytes, str]:
    """Every deployment the list would give for these conditions (no paging), as a file, and its name."""
    page = deployments.list_deployments(
        session, principal=principal, conditions=conditions, limit=MAX_EXPORT_ROWS, offset=0
    )
    places = requests_repo.places(session, {d.request_id for d in page.data})
    return render([tables.deployments_table(page.data, places)], format), f"deployments.{format}"


def records_export(session: Session, *, principal: Principal, kind: Kind, format: Format) -> tuple[bytes, str]:
    """Every expert or offer the caller may see (a Member State: its own), in the columns of the import file;
    an expert's personal fields only where the caller may see them, and national ids exported are audited."""
    if kind == "offers":
        offers, _ = offer_repo.list_offers(session, principal, {}, MAX_EXPORT_ROWS, 0)
        return render([tables.records_table(kind, offers)], format), f"{kind}.{format}"
    rows = roster_repo.page_experts(session, principal, roster_repo.ExpertFilter(), MAX_EXPORT_ROWS, 0)
    # A Member State exports its own experts only (the repository's scope); every other role sees by its role.
    hidden = hidden_fields(viewer(principal, principal.state))
    shown = [name for name in AUDITED - hidden if any(getattr(r, name) is not None for r in rows)]
    if record_export(session, principal, count=len(rows), fields=shown, filters={"format": format}):
        session.commit()
    return render([tables.records_table(kind, rows, hidden=hidden)], format), f"{kind}.{format}"


def gaps_export(
    session: Session,
    *,
    principal: Principal,
    start: date | None,
    end: date | None,
    mission: str | None,
    level: Level | None,
    skill: str | None,
    format: Format,
) -> tuple[bytes, str]:
    """The gap report as a file (CSV: a row per cell; XLSX: cells, unfilled, reasons, totals), and its name."""
    report = reports.gap_report(
        session, principal=principal, start=start, end=end, mission=mission, level=level, skill=skill
    )
    places = requests_repo.places(session, {u.request_id for u in report.unfilled})
    return tables.render_gaps(report, format, places), tables.gaps_filename(report, format)
