"""The operator commands: import, export, solve, check, and --help everywhere, through typer's CliRunner."""

import csv
import gc
import io
import json

import openpyxl
import pytest
import uvicorn
from sqlmodel import Session, func, select
from typer.testing import CliRunner

from service.app import served_app
from service.cli import app as cli
from service.platform.settings import get_settings
from service.platform.tables import AuditEntry, Expert, Plan, PlanAssignment
from tests.service.test_imports import EXPERT_HEADER, as_csv, as_xlsx, expert_row


def _cli(db_url: str, *args: str, env: dict | None = None):
    get_settings.cache_clear()
    try:
        return CliRunner().invoke(cli, list(args), env={"ROSTER_DATABASE_URL": db_url} | (env or {}))
    finally:
        get_settings.cache_clear()


def _experts(engine) -> list[Expert]:
    with Session(engine) as session:
        return list(session.exec(select(Expert).order_by(Expert.id)).all())


@pytest.fixture
def files(tmp_path):
    def write(name: str, content: bytes):
        path = tmp_path / name
        path.write_bytes(content)
        return str(path)

    return write


class TestImport:
    def test_good_file(self, db_url, engine, files):
        path = files("experts.xlsx", as_xlsx(EXPERT_HEADER, [expert_row(1), expert_row(2)]))
        result = _cli(db_url, "import", "experts", path)
        assert result.exit_code == 0, result.output
        assert "2 created" in result.stderr and result.stdout == ""
        assert [e.email for e in _experts(engine)] == ["import1@example.org", "import2@example.org"]
        with Session(engine) as session:
            actors = set(session.exec(select(AuditEntry.actor_name, AuditEntry.actor_role)).all())
        assert actors == {("cli", "hq")}

    def test_bad_file_prints_each_error_and_writes_nothing(self, db_url, engine, files):
        path = files("experts.csv", as_csv(EXPERT_HEADER, [expert_row(1), expert_row(2, category="pilot")]))
        result = _cli(db_url, "import", "experts", path)
        assert result.exit_code == 1
        line, column, value, message = result.stdout.strip().split("\t")
        assert (line, column, value) == ("3", "category", "pilot") and "civilian" in message
        assert "nothing written" in result.stderr
        assert _experts(engine) == []

    def test_partial_and_dry_run(self, db_url, engine, files):
        path = files("mixed.csv", as_csv(EXPERT_HEADER, [expert_row(1), expert_row(2, gender="x")]))
        dry = _cli(db_url, "import", "experts", path, "--partial", "--dry-run", "--json")
        assert dry.exit_code == 3 and json.loads(dry.stdout)["created"] == 1
        assert _experts(engine) == []
        partial = _cli(db_url, "import", "experts", path, "--partial")
        assert partial.exit_code == 3
        assert [e.email for e in _experts(engine)] == ["import1@example.org"]
        again = _cli(db_url, "import", "experts", files("one.csv", as_csv(EXPERT_HEADER, [expert_row(1)])))
        assert again.exit_code == 0 and "1 unchanged" in again.stderr

    def test_as_a_member_state(self, db_url, engine, files):
        path = files("nor.csv", as_csv(EXPERT_HEADER, [expert_row(1, state=""), expert_row(2, state="SWE")]))
        result = _cli(db_url, "import", "experts", path, "--state", "NOR", "--partial")
        assert result.exit_code == 3 and "\tstate\tSWE\t" in result.stdout
        assert [(e.email, e.state) for e in _experts(engine)] == [("import1@example.org", "NOR")]

    def test_usage_errors_exit_2(self, db_url, files):
        path = files("x.csv", as_csv(EXPERT_HEADER, [expert_row(1)]))
        assert _cli(db_url, "import", "experts", path, "--state", "XXX").exit_code == 2
        assert _cli(db_url, "import", "people", path).exit_code == 2
        assert _cli(db_url, "import", "experts", path + ".missing").exit_code == 2


@pytest.fixture
def solved(db_url, engine) -> int:
    """Demo data, and a plan solved from the command line."""
    assert _cli(db_url, "seed", "--demo", "--experts", "60").exit_code == 0
    result = _cli(db_url, "solve", "--time-limit", "3", "--today", "2027-01-04", "--workers", "1")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)["plan"]


class TestSolveAndExport:
    def test_solve_prints_the_summary_of_a_stored_plan(self, db_url, engine, solved):
        with Session(engine) as session:
            plan = session.get(Plan, solved)
            stored = session.exec(
                select(func.count()).select_from(PlanAssignment).where(PlanAssignment.plan_id == solved)
            ).one()
        assert plan.status == "succeeded" and plan.created_by == "cli"
        assert plan.summary["filled"] == stored > 0

    def test_export_plan_xlsx_and_csv(self, db_url, engine, solved, tmp_path):
        target = tmp_path / "plan.xlsx"
        assert _cli(db_url, "export", "plan", str(solved), "--output", str(target)).exit_code == 0
        book = openpyxl.load_workbook(target, read_only=True)
        assert set(book.sheetnames) == {"assignments", "unfilled"}
        with Session(engine) as session:
            ids = session.exec(
                select(PlanAssignment.id)
                .where(PlanAssignment.plan_id == solved)
                .order_by(PlanAssignment.position_id, PlanAssignment.seat)
            ).all()
        assert [r[0] for r in book["assignments"].iter_rows(min_row=2, values_only=True)] == list(ids)
        as_csv = _cli(db_url, "export", "plan", str(solved), "--format", "csv", "--sheet", "unfilled", "-o", "-")
        assert as_csv.exit_code == 0 and as_csv.stdout.startswith("position_id,position_title,")
        assert _cli(db_url, "export", "plan", "999", "-o", str(tmp_path / "none.xlsx")).exit_code == 1

    def test_export_gaps_and_deployments(self, db_url, solved, tmp_path):
        gaps = _cli(
            db_url, "export", "gaps", "--from", "2027-01-01", "--to", "2027-12-31", "-o", "-", "--format", "csv"
        )
        assert gaps.exit_code == 0
        rows = list(csv.DictReader(io.StringIO(gaps.stdout)))
        assert rows and {"skill", "quarter", "demand", "supply", "gap"} <= set(rows[0])
        target = tmp_path / "deployments.csv"
        result = _cli(db_url, "export", "deployments", "--state", "NOR", "-o", str(target))
        assert result.exit_code == 0 and target.read_text().startswith("id,mission,")
        assert _cli(db_url, "export", "gaps", "--from", "2027-13-01").exit_code == 2
        experts = _cli(db_url, "export", "experts", "--state", "NOR", "--format", "csv", "-o", "-")
        assert experts.exit_code == 0 and experts.stdout.startswith("full_name,email,")
        assert ",credentials" in experts.stdout.splitlines()[0]
        assert _cli(db_url, "export", "offers", "-o", str(tmp_path / "offers.xlsx")).exit_code == 0
        assert _cli(db_url, "export", "gaps", "--from", "2027-12-01", "--to", "2027-01-01").exit_code == 2


def test_solve_refuses_unknown_requests(db_url):
    result = _cli(db_url, "solve", "--request", "999")
    assert result.exit_code == 2 and "999" in result.stderr


class TestCheck:
    def test_all_ok(self, db_url):
        result = _cli(db_url, "check")
        assert result.exit_code == 0, result.output
        assert result.stdout.splitlines() == ["settings: ok", "database: ok", "migrations: ok", "reference data: ok"]

    def test_empty_database(self, databases):
        result = _cli(databases.empty(), "check")
        assert result.exit_code == 1
        assert "migrations: FAIL: " in result.stdout and "roster db upgrade" in result.stdout

    def test_unreachable_database(self, tmp_path):
        result = _cli(f"sqlite:///{tmp_path}/no/such/folder/x.db", "check")
        assert result.exit_code == 1 and "database: FAIL: cannot connect" in result.stdout

    def test_bad_settings(self, db_url):
        result = _cli("sqlite:///x.db", "check", env={"ROSTER_ENVIRONMENT": "production"})
        assert result.exit_code == 1 and result.stdout.startswith("settings: FAIL: ")


def _commands(group, prefix=()):
    import typer.main

    command = typer.main.get_command(group)
    stack = [(prefix, command)]
    while stack:
        path, cmd = stack.pop()
        yield path
        for name, sub in getattr(cmd, "commands", {}).items():
            stack.append(((*path, name), sub))


def test_help_on_every_command(db_url):
    paths = list(_commands(cli))
    assert {
        ("import",),
        ("solve",),
        ("check",),
        ("export", "plan"),
        ("export", "gaps"),
        ("export", "deployments"),
    } <= set(paths)
    for path in paths:
        result = _cli(db_url, *path, "--help")
        assert result.exit_code == 0 and "Usage:" in result.stdout, path


def test_import_and_export_refuse_a_database_behind_migrations(databases, files):
    url = databases.empty()
    path = files("x.csv", as_csv(EXPERT_HEADER, [expert_row(1)]))
    for args in (("import", "experts", path), ("export", "deployments", "-o", "-"), ("export", "plan", "1", "-o", "-")):
        result = _cli(url, *args)
        assert result.exit_code == 1 and "roster db upgrade" in result.stderr, args


def test_solve_progress_line():
    from service.cli.planning import _progress_text

    line = _progress_text(3, {"phase": "solving", "objective": 1200, "bound": 1300, "gap": 0.077, "elapsed": 2.5})
    assert line == "plan 3: solving, objective 1,200, bound 1,300, gap 7.70 %, 2.5 s"
    assert _progress_text(3, {}) == "plan 3: …, 0.0 s"


def test_serve_runs_each_process_with_its_start_up_objects_out_of_the_collectors_passes(db_url, monkeypatch):
    runs = []
    monkeypatch.setattr(uvicorn, "run", lambda target, **options: runs.append((target, options)))
    monkeypatch.setattr("service.platform.observability.setup_logging", lambda level: None)
    assert _cli(db_url, "serve", "--workers", "2").exit_code == 0
    [(target, options)] = runs
    assert target == "service.app:served_app" and options["factory"] and options["workers"] == 2

    monkeypatch.setenv("ROSTER_DATABASE_URL", db_url)
    get_settings.cache_clear()
    frozen = gc.get_freeze_count()
    app = served_app()
    try:
        assert gc.get_freeze_count() > frozen
    finally:
        gc.unfreeze()
        app.state.engine.dispose()
        get_settings.cache_clear()


def test_the_token_hint_names_the_address_served():
    said = CliRunner().invoke(cli, ["token", "hint", "--host", "0.0.0.0", "--port", "8768"])
    assert said.exit_code == 0 and "http://0.0.0.0:8768/experts?limit=5" in said.output and ":8000" not in said.output
