"""The `roster` command line: serve, migrate, seed, tokens, import, export, solve, check."""

import sys
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer
from sqlmodel import Session

from schemas.enums import Role
from service.db import make_engine, pending_migrations, upgrade
from service.settings import get_settings

app = typer.Typer(help="Roster and deployment matching service.\n\nExit codes: 0 success; 1 failure (the "
                       "command's help says which); 2 usage error (bad option, file or value).",
                  no_args_is_help=True, pretty_exceptions_enable=False)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
token_app = typer.Typer(help="API tokens.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(token_app, name="token")


def _engine():
    return make_engine(get_settings().database_url)


def _fail(message: str, code: int = 1) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def _require_current_schema(engine) -> None:
    message = pending_migrations(engine)
    if message:
        _fail(message)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port to listen on")] = 8000,
    workers: Annotated[int, typer.Option(help="server processes")] = 1,
) -> None:
    """Serve the HTTP API (refuses to start on a database behind the migrations)."""
    import uvicorn

    from service.observability import setup_logging

    _require_current_schema(_engine())
    typer.echo(f"Serving on http://{host}:{port}  (API docs: http://{host}:{port}/docs)", err=True)
    setup_logging(get_settings().log_level)
    uvicorn.run("service.app:served_app", factory=True, host=host, port=port, workers=workers,
                log_config=None, access_log=False)


@app.command()
def worker(
    once: Annotated[bool, typer.Option("--once", help="run at most one plan, then exit")] = False,
) -> None:
    """Take queued plans and deliver webhooks until stopped (SIGTERM or Ctrl-C); run any number of these."""
    import signal
    import threading

    from service import jobs, worker as loop

    settings = get_settings()
    engine = _engine()
    _require_current_schema(engine)
    jobs.lowest_priority(own_session=False)
    if once:
        ran = jobs.work_once(engine, loop.worker_id(), settings.worker_lease_seconds)
        typer.echo(f"plan {ran} done" if ran else "no queued plan", err=True)
        return
    from service.observability import setup_logging

    setup_logging(settings.log_level)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    typer.echo(f"worker {loop.worker_id()} waiting for plans", err=True)
    loop.run(engine, stop, lease_seconds=settings.worker_lease_seconds, poll_seconds=settings.worker_poll_seconds,
             reminder_days=settings.reminder_days, allow_private_webhooks=settings.allow_private_webhooks)


@db_app.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument(help="target revision")] = "head") -> None:
    """Apply the migrations up to REVISION (default: the newest)."""
    url = get_settings().database_url
    upgrade(url, revision)
    typer.echo(f"database at {revision}: {url.split('@')[-1]}", err=True)


@app.command()
def seed(
    demo: Annotated[bool, typer.Option("--demo", help="also load the demo roster, offers and requests")] = False,
    experts: Annotated[int, typer.Option(help="demo experts")] = 400,
) -> None:
    """Load reference data (and with --demo the demo roster); running it twice duplicates nothing."""
    from service.seeding import seed_demo, seed_reference

    engine = _engine()
    _require_current_schema(engine)
    with Session(engine) as session:
        for name, counts in seed_reference(session).items():
            typer.echo(f"{name}: {counts}", err=True)
        if demo:
            for name, counts in seed_demo(session, experts=experts).items():
                typer.echo(f"demo {name}: {counts}", err=True)


@token_app.command("create")
def token_create(
    role: Annotated[Role, typer.Option(help="what the token may do")],
    state: Annotated[str | None, typer.Option(help="ISO3 of the Member State (member_state role only)")] = None,
    name: Annotated[str, typer.Option(help="who or what holds the token")] = "cli",
) -> None:
    """Create a token and print it once, alone on stdout."""
    from service.auth import issue_token
    from service.errors import Invalid

    engine = _engine()
    _require_current_schema(engine)
    with Session(engine) as session:
        try:
            _, secret = issue_token(session, role=role, name=name, state=state.upper() if state else None)
        except Invalid as exc:
            _fail(exc.detail[0]["message"], 2)
        session.commit()
    sys.stdout.write(secret + "\n")


@token_app.command("list")
def token_list() -> None:
    """List tokens (never their secrets)."""
    from sqlmodel import select

    from service.tables import ApiToken

    with Session(_engine()) as session:
        for t in session.exec(select(ApiToken).order_by(ApiToken.id)):
            status = "revoked" if t.revoked_at else "active"
            typer.echo(f"{t.id}\t{t.prefix}…\t{t.role}\t{t.state or '-'}\t{status}\t{t.name}")


@token_app.command("revoke")
def token_revoke(token_id: Annotated[int, typer.Argument(help="id from `roster token list`")]) -> None:
    """Revoke a token at once."""
    from service.auth import revoke

    with Session(_engine()) as session:
        if revoke(session, token_id) is None:
            _fail(f"no token with id {token_id}")
        session.commit()
    typer.echo(f"token {token_id} revoked", err=True)


@token_app.command("hint")
def token_hint(
    host: Annotated[str, typer.Option(help="address the server listens on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port the server listens on")] = 8000,
) -> None:
    """Say how to get a token and make a first request."""
    typer.echo(
        "\nTo get a token, run in another terminal:\n"
        "  TOKEN=$(.venv/bin/roster token create --role planner --name me)\n"
        f"  curl -H \"Authorization: Bearer $TOKEN\" http://{host}:{port}/experts?limit=5\n"
        f"Or open http://{host}:{port}/ui and paste the token (plan with the date 2027-01-04 for the demo).\n"
        "Roles: admin, hq, planner, member_state (with --state ISO3, e.g. --state NOR).\n",
        err=True,
    )


# --- Import, export, solve, check ------------------------------------------------------------

export_app = typer.Typer(help="Export plans, deployments and the gap report to CSV or XLSX.\n\nExit codes: 0 written; "
                                "1 failure (no such plan, database behind the migrations); 2 usage error.",
                         no_args_is_help=True)
app.add_typer(export_app, name="export")


class ImportKind(str, Enum):
    experts = "experts"
    offers = "offers"


class FileFormat(str, Enum):
    csv = "csv"
    xlsx = "xlsx"


def _principal(session: Session, state: str | None):
    """Act as HQ, or as the Member State named by --state; the audit trail names the actor 'cli'."""
    from service.auth import Principal
    from service.tables import MemberState

    if state is None:
        return Principal(token_id=None, name="cli", role=Role.hq)
    if session.get(MemberState, state.upper()) is None:
        _fail(f"unknown Member State {state!r}: use an ISO3 code such as NOR", 2)
    return Principal(token_id=None, name="cli", role=Role.member_state, state=state.upper())


class _Bars:
    """A progress bar per phase on stderr, fed by (phase, done, total) calls."""

    def __init__(self) -> None:
        self.bar, self.phase, self.done = None, None, 0

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

    Exit codes: 0 every row imported (--dry-run: would be); 1 errors, nothing imported; 3 --partial imported the good rows, some were bad; 2 usage error.
    """
    from service.imports import run_import

    engine = _engine()
    _require_current_schema(engine)
    bars = _Bars()
    with Session(engine, expire_on_commit=False) as session:
        principal = _principal(session, state)
        try:
            report = run_import(session, principal, kind.value, file.read_bytes(), dry_run=dry_run,
                                partial=partial, progress=bars)
        finally:
            bars.close()
    if as_json:
        typer.echo(report.model_dump_json(indent=1))
    else:
        for e in report.errors:
            typer.echo(f"{e.line}\t{e.column}\t{e.value if e.value is not None else ''}\t{e.message}")
    written = "nothing written (dry run)" if dry_run else "nothing written" if report.rejected else "written"
    typer.echo(f"{kind.value}: {report.rows} rows, {report.created} created, {report.updated} updated, "
               f"{report.unchanged} unchanged, {len(report.errors)} errors; {written}", err=True)
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


def _current_engine():
    engine = _engine()
    _require_current_schema(engine)
    return engine


FormatOption = Annotated[FileFormat | None, typer.Option("--format", help="csv or xlsx; default: from --output, else xlsx")]
OutputOption = Annotated[Path | None, typer.Option("--output", "-o", help="file to write ('-': stdout); default: the "
                                                                           "API's file name in this folder")]
StateOption = Annotated[str | None, typer.Option(help="export what this Member State (ISO3) may see; default: HQ")]


@export_app.command("plan")
def export_plan(
    plan_id: Annotated[int, typer.Argument(help="the plan's id")],
    format: FormatOption = None,
    output: OutputOption = None,
    sheet: Annotated[str, typer.Option(help="CSV only: assignments or unfilled")] = "assignments",
) -> None:
    """A plan's assignments and unfilled seats (XLSX: a sheet each; CSV: --sheet). Exit 1: no such plan."""
    from service import exports
    from service.tables import Plan

    fmt = _format(output, format)
    if sheet not in exports.PLAN_SHEETS:
        _fail(f"--sheet {sheet!r}: use assignments or unfilled", 2)
    with Session(_current_engine()) as session, _exporting(f"plan {plan_id}"):
        plan = session.get(Plan, plan_id)
        if plan is None:
            _fail(f"no plan with id {plan_id}: see GET /plans")
        content = exports.render(exports.plan_tables(session, plan), fmt, sheet)
    _write(content, output, exports.plan_filename(plan_id, fmt, sheet))


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
    from service import exports
    from service.routes import deployments as routes
    from service.routes.imports import MAX_EXPORT_ROWS

    fmt = _format(output, format)
    try:
        wanted = DeploymentStatus(status) if status else None
    except ValueError:
        _fail(f"--status {status!r}: use one of {', '.join(s.value for s in DeploymentStatus)}", 2)
    with Session(_current_engine()) as session, _exporting("deployments"):
        conditions = routes.deployment_filters(mission=mission, state=contributing.upper() if contributing else None,
                                               status=wanted)
        page = routes.list_deployments(session, _principal(session, state), conditions,
                                       limit=MAX_EXPORT_ROWS, offset=0)
        content = exports.render([exports.deployments_table(page.data)], fmt)
    _write(content, output, f"deployments.{fmt}")


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
    from service import exports
    from service.errors import Invalid
    from service.routes.imports import gap_report

    fmt = _format(output, format)
    with Session(_current_engine()) as session, _exporting("the gap report"):
        try:
            report = gap_report(session, _principal(session, state), _date("--from", start), _date("--to", end),
                                mission, None, skill)
        except Invalid as exc:
            _fail(exc.detail[0]["message"], 2)
        content = exports.render_gaps(report, fmt)
    _write(content, output, exports.gaps_filename(report, fmt))


def _date(option: str, value: str | None):
    from datetime import date

    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        _fail(f"{option} {value!r} is not a date: write YYYY-MM-DD", 2)


@app.command()
def solve(
    request: Annotated[list[int] | None, typer.Option("--request", help="a request id; repeat; default: every "
                                                                        "open request")] = None,
    time_limit: Annotated[float, typer.Option(help="seconds the solver may take")] = 10.0,
    today: Annotated[str | None, typer.Option(help="the planning date (YYYY-MM-DD); default: today")] = None,
    workers: Annotated[int, typer.Option(help="solver threads")] = 2,
) -> None:
    """Run a plan here, with progress, and print its summary. Exit codes: 0 succeeded; 1 failed or cancelled."""
    import json

    from pydantic import ValidationError

    from schemas.planning import PlanCreate

    try:
        body = PlanCreate(request_ids=request or None, time_limit=time_limit, workers=workers,
                          today=_date("--today", today))
    except ValidationError as exc:
        _fail("; ".join(e["msg"] for e in exc.errors()), 2)
    from service.worker import worker_id

    engine = _engine()
    _require_current_schema(engine)
    owner = worker_id()
    plan_id = _start_plan(engine, body, owner)
    plan = _follow(engine, plan_id, owner)
    if plan.status != "succeeded":
        _fail(f"plan {plan_id} {plan.status}: {plan.error or 'no detail'}")
    summary = plan.summary or {}
    typer.echo(f"plan {plan_id} succeeded: {summary.get('filled')} of {summary.get('seats')} seats filled, "
               f"{summary.get('unfilled')} unfilled ({summary.get('solver_status')}, {summary.get('wall_time', 0):.1f} s)",
               err=True)
    typer.echo(json.dumps({"plan": plan_id, **summary}, indent=1, default=str))


def _start_plan(engine, body, owner: str) -> int:
    """The plan row, already running under this process's lease (no worker takes it); 2 on unknown requests."""
    from datetime import timedelta

    from sqlmodel import select

    from schemas.enums import PlanStatus
    from service import audit
    from service.repositories.plans import to_public
    from service.routes.plans import _parameters
    from service.tables import CapacityRequest, Plan, utcnow

    now = utcnow()
    with Session(engine) as session:
        if body.request_ids:
            found = set(session.exec(select(CapacityRequest.id).where(CapacityRequest.id.in_(body.request_ids))))
            missing = sorted(set(body.request_ids) - found)
            if missing:
                _fail(f"unknown request id(s) {missing}: see GET /requests", 2)
        plan = Plan(status=PlanStatus.running, request_ids=body.request_ids, parameters=_parameters(body),
                    created_by="cli", lease_owner=owner, attempts=1, started_at=now,
                    lease_expires_at=now + timedelta(seconds=get_settings().worker_lease_seconds),
                    progress={"phase": "building", "elapsed": 0.0})
        session.add(plan)
        session.flush()
        audit.record(session, _principal(session, None), "create", "plan", plan.id, after=to_public(plan))
        session.commit()
        return plan.id


def _follow(engine, plan_id: int, owner: str):
    """Run the plan in a thread and show its phase, objective and bound until it ends; Ctrl-C cancels it."""
    import threading

    from rich.console import Console

    from service import jobs
    from service.tables import Plan

    thread = threading.Thread(target=jobs.execute, args=(engine, plan_id, owner, get_settings().worker_lease_seconds),
                              daemon=True)
    thread.start()
    with Console(stderr=True).status(f"plan {plan_id}: building") as status:
        try:
            while thread.is_alive():
                thread.join(0.5)
                with Session(engine) as session:
                    status.update(_progress_text(plan_id, session.get(Plan, plan_id).progress or {}))
        except KeyboardInterrupt:
            with Session(engine) as session:
                jobs.request_cancel(session, session.get(Plan, plan_id))
                session.commit()
            thread.join()
    with Session(engine) as session:
        return session.get(Plan, plan_id)


def _progress_text(plan_id: int, progress: dict) -> str:
    parts = [f"plan {plan_id}: {progress.get('phase', '…')}"]
    for name in ("objective", "bound"):
        if progress.get(name) is not None:
            parts.append(f"{name} {progress[name]:,}")
    if progress.get("gap") is not None:
        parts.append(f"gap {100 * progress['gap']:.2f} %")
    parts.append(f"{progress.get('elapsed', 0):.1f} s")
    return ", ".join(parts)


@app.command()
def check() -> None:
    """Check the settings, the database connection, the migrations and the reference data.

    Prints one line per check: "ok" or "FAIL: why". Exit codes: 0 all ok; 1 any failed.
    """
    results = _checks()
    for name, problem in results:
        typer.echo(f"{name}: {'ok' if problem is None else 'FAIL: ' + problem}")
    if any(problem is not None for _, problem in results):
        raise typer.Exit(1)


def _checks() -> list[tuple[str, str | None]]:
    from pydantic import ValidationError
    from sqlalchemy import func, text
    from sqlmodel import select

    from service.tables import MemberState, Mission, Skill

    get_settings.cache_clear()
    try:
        settings = get_settings()
    except ValidationError as exc:
        reason = "; ".join(e["msg"].removeprefix("Value error, ") for e in exc.errors())
        return [("settings", reason), ("database", "not checked: fix the settings first")]
    results: list[tuple[str, str | None]] = [("settings", None)]
    engine = make_engine(settings.database_url, connect_timeout=settings.db_connect_timeout)
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001 - any failure to connect is the answer
        where = settings.database_url.split("@")[-1]
        return results + [("database", f"cannot connect to {where}: {str(exc).splitlines()[0]}")]
    results.append(("database", None))
    pending = pending_migrations(engine)
    results.append(("migrations", pending))
    if pending:
        return results + [("reference data", "not checked: apply the migrations first")]
    with Session(engine) as session:
        empty = [name for name, model in (("member states", MemberState), ("skills", Skill), ("missions", Mission))
                 if not session.exec(select(func.count()).select_from(model)).one()]
    results.append(("reference data", f"no {', '.join(empty)}: run `roster seed`" if empty else None))
    engine.dispose()
    return results


if __name__ == "__main__":
    app()
