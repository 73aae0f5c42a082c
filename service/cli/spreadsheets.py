"""`roster import` and `roster export plan|deployments|experts|offers|gaps`."""

import sys
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from sqlmodel import Session

from service.cli.common import (
    acting_as,
    app,
    current_engine,
    export_app,
    fail,
    open_engine,
    parse_date,
    require_current_schema,
)

if TYPE_CHECKING:
    from typer._click._termui_impl import ProgressBar  # what typer.progressbar returns (typer vendors click)


class ImportKind(str, Enum):
    experts = "experts"
    offers = "offers"


class FileFormat(str, Enum):
    csv = "csv"
    xlsx = "xlsx"


class _Bars:
    """A progress bar per phase on stderr, fed by (phase, done, total) calls."""

    def __init__(self) -> None:
        self.bar: ProgressBar[int] | None = None
        self.phase: str | None = None
        self.done = 0

    def __call__(self, phase: str, done: int, total: int) -> None:
        if phase != self.phase:
            self.close()
            if phase == "done" or total == 0:
                return
            self.bar = typer.progressbar(length=total, label=f"{phase:<10}", file=sys.stderr)
            self.bar.__enter__()
            self.phase, self.done = phase, 0
        if self.bar is not None:
            self.bar.update(done - self.done)
            self.done = done

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
        self.bar, self.phase = None, None


@app.command("import")
def import_file(
    kind: Annotated[ImportKind, typer.Argument(help="what the file holds")],
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="a CSV or XLSX file")],
    state: Annotated[str | None, typer.Option(help="import as this Member State (ISO3); default: as HQ")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="validate and report; write nothing")] = False,
    partial: Annotated[bool, typer.Option("--partial", help="write the good rows even if some are bad")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="print the whole report as JSON on stdout")] = False,
) -> None:
    """Import experts or offers from CSV or XLSX (columns: GET /experts/import/template).

    Each bad cell is printed on stdout as LINE, COLUMN, VALUE and MESSAGE separated by tabs.

    Exit codes: 0 every row imported (--dry-run: would be); 1 errors, nothing imported; 3 --partial imported the
    good rows, some were bad; 2 usage error.
    """
    from service.platform.unit import Unit
    from service.spreadsheets.service import run_import

    engine = open_engine()
    require_current_schema(engine)
    bars = _Bars()
    with Session(engine, expire_on_commit=False) as session:
        principal = acting_as(session, state)
        try:
            report = run_import(
                Unit.of(session, principal),
                kind=kind.value,
                content=file.read_bytes(),
                dry_run=dry_run,
                partial=partial,
                progress=bars,
            )
        finally:
            bars.close()
    if as_json:
        typer.echo(report.model_dump_json(indent=1))
    else:
        for e in report.errors:
            typer.echo(f"{e.line}\t{e.column}\t{e.value if e.value is not None else ''}\t{e.message}")
        if report.truncated:
            typer.echo(f"... the first {len(report.errors)} of {report.total_errors} errors are listed", err=True)
    written = "nothing written (dry run)" if dry_run else "nothing written" if report.rejected else "written"
    typer.echo(
        f"{kind.value}: {report.rows} rows, {report.created} created, {report.updated} updated, "
        f"{report.unchanged} unchanged, {report.total_errors} errors in {report.bad_rows} rows; {written}",
        err=True,
    )
    if report.rejected:
        raise typer.Exit(1)
    if report.errors:
        raise typer.Exit(3)


def _format(output: Path | None, chosen: FileFormat | None) -> str:
    if chosen is not None:
        return chosen.value
    if output is not None and output.suffix.lower() in (".csv", ".xlsx"):
        return output.suffix.lower().lstrip(".")
    return "xlsx"


def _write(content: bytes, output: Path | None, default_name: str) -> None:
    target = output or Path(default_name)
    if str(target) == "-":
        sys.stdout.buffer.write(content)
        sys.stdout.flush()
        return
    target.write_bytes(content)
    typer.echo(f"wrote {target} ({len(content):,} bytes)", err=True)


def _exporting(what: str):
    from rich.console import Console

    return Console(stderr=True).status(f"exporting {what}…")


FormatOption = Annotated[
    FileFormat | None, typer.Option("--format", help="csv or xlsx; default: from --output, else xlsx")
]


OutputOption = Annotated[
    Path | None,
    typer.Option("--output", "-o", help="file to write ('-': stdout); default: the API's file name in this folder"),
]


StateOption = Annotated[str | None, typer.Option(help="export what this Member State (ISO3) may see; default: HQ")]


@export_app.command("plan")
def export_plan(
    plan_id: Annotated[int, typer.Argument(help="the plan's id")],
    format: FormatOption = None,
    output: OutputOption = None,
    sheet: Annotated[str, typer.Option(help="CSV only: assignments or unfilled")] = "assignments",
) -> None:
    """A plan's assignments and unfilled seats (XLSX: a sheet each; CSV: --sheet). Exit 1: no such plan."""
    from service.platform.errors import NotFound
    from service.spreadsheets import service
    from service.spreadsheets.tables import PLAN_SHEETS

    fmt = _format(output, format)
    if sheet not in PLAN_SHEETS:
        fail(f"--sheet {sheet!r}: use assignments or unfilled", 2)
    with Session(current_engine()) as session, _exporting(f"plan {plan_id}"):
        try:
            content, filename = service.plan_export(session, plan_id=plan_id, format=fmt, sheet=sheet)
        except NotFound:
            fail(f"no plan with id {plan_id}: see GET /plans")
    _write(content, output, filename)


@export_app.command("deployments")
def export_deployments(
    format: FormatOption = None,
    output: OutputOption = None,
    state: StateOption = None,
    mission: Annotated[str | None, typer.Option(help="mission code")] = None,
    contributing: Annotated[str | None, typer.Option(help="contributing Member State (ISO3)")] = None,
    status: Annotated[str | None, typer.Option(help="planned, deployed, completed or cancelled")] = None,
) -> None:
    """Deployments, as GET /deployments lists them (no paging)."""
    from schemas.enums import DeploymentStatus
    from service.deployments import service as deployments
    from service.spreadsheets import service

    fmt = _format(output, format)
    try:
        wanted = DeploymentStatus(status) if status else None
    except ValueError:
        fail(f"--status {status!r}: use one of {', '.join(s.value for s in DeploymentStatus)}", 2)
    with Session(current_engine()) as session, _exporting("deployments"):
        conditions = deployments.conditions(
            mission=mission, state=contributing.upper() if contributing else None, status=wanted
        )
        content, filename = service.deployments_export(
            session, principal=acting_as(session, state), conditions=conditions, format=fmt
        )
    _write(content, output, filename)


@export_app.command("experts")
def export_experts(format: FormatOption = None, output: OutputOption = None, state: StateOption = None) -> None:
    """Experts in the columns of their import file (credentials included): edit it and `roster import` it."""
    _export_records("experts", format, output, state)


@export_app.command("offers")
def export_offers(format: FormatOption = None, output: OutputOption = None, state: StateOption = None) -> None:
    """Offers in the columns of their import file (credentials included): edit it and `roster import` it."""
    _export_records("offers", format, output, state)


def _export_records(kind: str, format: FileFormat | None, output: Path | None, state: str | None) -> None:
    from service.spreadsheets import service

    fmt = _format(output, format)
    with Session(current_engine()) as session, _exporting(kind):
        principal = acting_as(session, state)
        content, filename = service.records_export(session, principal=principal, kind=kind, format=fmt)
    _write(content, output, filename)


@export_app.command("gaps")
def export_gaps(
    format: FormatOption = None,
    output: OutputOption = None,
    state: StateOption = None,
    start: Annotated[str | None, typer.Option("--from", help="first day (YYYY-MM-DD); default: this quarter")] = None,
    end: Annotated[str | None, typer.Option("--to", help="last day; default: 8 quarters ahead")] = None,
    mission: Annotated[str | None, typer.Option(help="mission code (demand and unfilled only)")] = None,
    skill: Annotated[str | None, typer.Option(help="skill code")] = None,
) -> None:
    """The gap report (CSV: one row per cell; XLSX: cells, unfilled, reasons, totals)."""
    from service.platform.errors import Invalid
    from service.spreadsheets import service

    fmt = _format(output, format)
    with Session(current_engine()) as session, _exporting("the gap report"):
        try:
            content, filename = service.gaps_export(
                session,
                principal=acting_as(session, state),
                start=parse_date("--from", start),
                end=parse_date("--to", end),
                mission=mission,
                level=None,
                skill=skill,
                format=fmt,
            )
        except Invalid as exc:
            fail(exc.detail[0]["message"], 2)
    _write(content, output, filename)
