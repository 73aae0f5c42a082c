"""A database made by an earlier release, used as people use it, upgrades with `roster db upgrade` and keeps
every record.

Each ``tests/fixtures/release-<revision>.json.gz`` holds every table of such a database (demo data, a plan
reviewed, deployments, a re-solve, a webhook subscription, a kept idempotent answer), made by the release of
that revision with ``tests/fixtures/make_release_fixture.py``. The test loads it at that revision, upgrades to
the newest, and compares every row of every table, column by column.
"""

import gzip
import json
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path

import pytest
from sqlalchemy import JSON, Date, DateTime, MetaData, create_engine, func, select, text
from sqlmodel import Session
from typer.testing import CliRunner

from service.cli import app as cli
from service.platform.db import head_revision, make_engine, upgrade
from service.platform.tables import Expert

FIXTURES = sorted((Path(__file__).parent.parent / "fixtures").glob("release-*.json.gz"))


def _load(path: Path) -> dict:
    with gzip.open(path, "rt") as f:
        return json.load(f)


def _typed(column, value):
    if value is None:
        return None
    if isinstance(column.type, DateTime):
        return datetime.fromisoformat(value)
    if isinstance(column.type, Date):
        return date.fromisoformat(value)
    return value


@contextmanager
def _guards_off(connection):
    """A restore puts rows back as they were (a deployment already deployed), which the status guards of 0011
    refuse to a new row: off while restoring, as pg_restore does (PostgreSQL: replica mode; SQLite: the
    triggers dropped and made again from their own SQL)."""
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql("SET LOCAL session_replication_role = replica")
        yield
        return
    saved = connection.exec_driver_sql("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'").all()
    guards = [(name, sql) for name, sql in saved if name.startswith("deployment_status")]
    for name, _ in guards:
        connection.exec_driver_sql(f"DROP TRIGGER {name}")
    yield
    for _, sql in guards:
        connection.exec_driver_sql(sql)


def _restore(url: str, dump: dict) -> None:
    """The dumped rows, into a database at the dump's revision (ids kept, sequences moved past them)."""
    engine = create_engine(url)
    meta = MetaData()
    meta.reflect(engine)
    meta.remove(meta.tables["alembic_version"])
    with engine.connect() as connection:
        # rows the migrations made (data_version), which triggers move (on PostgreSQL at commit): set last,
        # as dumped, in a transaction of their own
        made = [t for t in meta.sorted_tables if connection.execute(select(func.count()).select_from(t)).scalar()]
    for tables in ([t for t in meta.sorted_tables if t not in made], made):
        with engine.begin() as connection, _guards_off(connection):
            for table in tables:
                if table in made:
                    connection.execute(table.delete())
                if rows := dump["tables"].get(table.name):
                    connection.execute(table.insert(), [{k: _typed(table.c[k], v) for k, v in r.items()} for r in rows])
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            for table in meta.sorted_tables:
                if "id" in table.c and dump["tables"].get(table.name):
                    connection.execute(
                        text(
                            f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                            f"(SELECT max(id) FROM {table.name}))"
                        )
                    )
    engine.dispose()


def _same(column, old, new) -> bool:
    if isinstance(column.type, JSON) or old is None:
        return old == new
    return _typed(column, old) == new if isinstance(column.type, (Date, DateTime)) else old == new


def _plain(value):
    return value.replace(tzinfo=None) if isinstance(value, datetime) else value


@pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index")
@pytest.mark.parametrize("fixture", FIXTURES, ids=lambda p: p.name)
def test_an_earlier_release_upgrades_and_keeps_every_record(databases, fixture, monkeypatch):
    dump = _load(fixture)
    url = databases.empty()
    upgrade(url, dump["revision"])
    _restore(url, dump)

    monkeypatch.setenv("ROSTER_DATABASE_URL", url)
    from service.platform.settings import get_settings

    get_settings.cache_clear()
    ran = CliRunner().invoke(cli, ["db", "upgrade"])
    get_settings.cache_clear()
    assert ran.exit_code == 0, ran.output

    engine = make_engine(url)
    meta = MetaData()
    meta.reflect(engine)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT version_num FROM alembic_version")).scalar() == head_revision()
        for name, rows in dump["tables"].items():
            table = meta.tables[name]
            key = [c.name for c in table.primary_key]
            kept = {tuple(_plain(r[k]) for k in key): r for r in connection.execute(select(table)).mappings()}
            assert len(kept) >= len(rows), f"{name}: {len(rows)} rows before, {len(kept)} after"
            for old in rows:
                new = kept[tuple(_typed(table.c[k], old[k]) for k in key)]
                moved = MOVED.get(name, set())
                changed = [k for k, v in old.items() if k not in moved and not _same(table.c[k], v, _plain(new[k]))]
                assert not changed, f"{name} {old.get('id')}: {changed} changed"
        _screenings_moved(connection, meta, dump)
    with Session(engine) as session:  # and the models of this release read them
        assert session.scalar(select(func.count()).select_from(Expert)) == len(dump["tables"]["expert"])
    _roster_changes_still_counted(engine)
    _stored_instances_still_read(engine)
    engine.dispose()


# Columns a migration moved elsewhere, checked at their new home: (table) -> columns.
MOVED = {"expert": {"screening_valid_until"}}


def _screenings_moved(connection, meta, dump) -> None:
    """0013: each expert's screening is now its HR-SCREENING credential, the same day."""
    if "screening_valid_until" not in dump["tables"]["expert"][0]:
        return  # a release made after 0013: the screenings are credentials already, kept as every other row
    credential = meta.tables["credential"]
    held = {
        r.expert_id: r.expires_on
        for r in connection.execute(select(credential).where(credential.c.code == "HR-SCREENING"))
        if r.expert_id is not None
    }
    for old in dump["tables"]["expert"]:
        until = old.get("screening_valid_until")
        assert held.get(old["id"]) == (None if until is None else date.fromisoformat(until)), old["id"]


def _stored_instances_still_read(engine) -> None:
    """A plan's stored instance (alternatives and explanations read it) is read by this release's solver contract;
    one stored before credentials asks for the screening on every seat, as it did."""
    from schemas.instance import Instance

    with engine.connect() as connection:
        stored = connection.execute(text("SELECT instance FROM plan WHERE instance IS NOT NULL")).scalars().all()
    for raw in stored:
        instance = Instance.model_validate_json(raw)
        if "screening_valid_until" in raw:
            assert all("HR-SCREENING" in p.credentials for p in instance.positions)


def _roster_changes_still_counted(engine) -> None:
    """The triggers that count roster changes (0004) survive later migrations (SQLite rebuilds tables)."""
    version = text("SELECT version FROM data_version WHERE name = 'experts'")
    with engine.begin() as connection:
        before = connection.execute(version).scalar()
    with engine.begin() as connection:
        connection.execute(text("UPDATE expert SET full_name = full_name || ' ' WHERE id = 1"))
    with engine.begin() as connection:
        assert connection.execute(version).scalar() == before + 1


def test_each_fixture_is_of_a_known_release():
    """Each release adds the fixture of the database it made (make_release_fixture.py); later migrations
    are then tested by upgrading it."""
    from alembic.script import ScriptDirectory

    from service.platform.db import alembic_config

    revisions = {r.revision for r in ScriptDirectory.from_config(alembic_config("sqlite://")).walk_revisions()}
    made = [_load(path)["revision"] for path in FIXTURES]
    assert made and set(made) <= revisions


@pytest.mark.filterwarnings("ignore:autogenerate skipping metadata-specified expression-based index")
@pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index")
def test_the_migrations_make_the_tables_the_models_describe(databases):
    """A column added to a model without a migration (or the reverse) is found here, not in production."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlmodel import SQLModel

    import service.platform.tables  # noqa: F401  (the models, on SQLModel's metadata)

    url = databases.empty()
    upgrade(url)
    engine = make_engine(url)
    with engine.connect() as connection:
        drift = compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)
    engine.dispose()
    assert drift == []
