"""Migrations, start-up checks, seeding and the CLI, on the engine under test."""

import pytest
from alembic import command
from fastapi.testclient import TestClient
from sqlalchemy import inspect, text
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, func, select
from typer.testing import CliRunner

from service.app import MigrationsPending, create_app
from service.cli import app as cli
from service.platform.db import alembic_config, head_revision, make_engine, pending_migrations, upgrade
from service.platform.settings import Settings, get_settings
from service.platform.tables import AuditEntry, CapacityRequest, Expert, Offer, Position
from service.seeding import seed_demo, seed_reference


def test_migrations_from_empty_to_head_and_back(databases):
    url = databases.empty()
    engine = make_engine(url)
    assert "upgrade" in pending_migrations(engine)
    upgrade(url)
    assert pending_migrations(engine) is None
    tables = set(inspect(engine).get_table_names())
    assert {"expert", "offer", "capacity_request", "position", "audit_log", "api_token"} <= tables
    command.downgrade(alembic_config(url), "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    upgrade(url)
    assert pending_migrations(engine) is None
    engine.dispose()


def test_audit_log_is_append_only(engine):
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO audit_log (at, actor_name, actor_role, action, entity, entity_id) "
                "VALUES (CURRENT_TIMESTAMP, 'x', 'hq', 'create', 'expert', '1')"
            )
        )
    for statement in ("UPDATE audit_log SET actor_name = 'forged'", "DELETE FROM audit_log"):
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as connection:
            connection.execute(text(statement))
    with Session(engine) as session:
        assert session.exec(select(AuditEntry.actor_name)).all() == ["x"]


def test_service_refuses_to_start_behind_migrations(databases):
    url = databases.empty()
    with pytest.raises(MigrationsPending, match="roster db upgrade"):
        create_app(Settings(database_url=url))


def _counts(engine) -> dict[str, int]:
    with Session(engine) as session:
        return {
            m.__name__: session.exec(select(func.count()).select_from(m)).one()
            for m in (Expert, Offer, CapacityRequest, Position)
        }


def test_seed_is_idempotent(engine):
    with Session(engine) as session:
        again = seed_reference(session)
        assert all(c.added == c.updated == 0 for c in again.values())
        first = seed_demo(session, experts=80, offers=10, requests=8)
        assert first["experts"].added == 80 and first["offers"].added == 10 and first["requests"].added > 0
    once = _counts(engine)
    with Session(engine) as session:
        second = seed_demo(session, experts=80, offers=10, requests=8)
    assert all(c.added == 0 for c in second.values())
    assert _counts(engine) == once


def test_seeded_demo_reads_back_through_the_api(db_url, engine):
    with Session(engine) as session:
        seed_demo(session, experts=60, offers=8, requests=6)
    app = create_app(Settings(database_url=db_url))
    with TestClient(app) as client:
        runner_token = _cli(db_url, "token", "create", "--role", "planner", "--name", "t").stdout.strip()
        headers = {"Authorization": f"Bearer {runner_token}"}
        experts = client.get("/experts?limit=500", headers=headers).json()
        assert experts["count"] == 60
        requests = client.get("/requests?limit=500", headers=headers)
        assert requests.status_code == 200 and requests.json()["count"] == _counts(engine)["CapacityRequest"]
    app.state.engine.dispose()


def _cli(db_url: str, *args: str):
    get_settings.cache_clear()
    try:
        return CliRunner().invoke(cli, list(args), env={"ROSTER_DATABASE_URL": db_url})
    finally:
        get_settings.cache_clear()


class TestCli:
    def test_token_create_prints_the_token_alone(self, db_url):
        result = _cli(db_url, "token", "create", "--role", "member_state", "--state", "NOR", "--name", "Oslo")
        assert result.exit_code == 0, result.output
        assert result.stdout.count("\n") == 1 and result.stdout.startswith("rst_")
        listed = _cli(db_url, "token", "list")
        assert "member_state" in listed.stdout and "NOR" in listed.stdout and result.stdout.strip() not in listed.stdout

    def test_token_create_refuses_bad_roles_and_states(self, db_url):
        assert _cli(db_url, "token", "create", "--role", "member_state").exit_code == 2
        assert _cli(db_url, "token", "create", "--role", "member_state", "--state", "XXX").exit_code == 2
        assert _cli(db_url, "token", "create", "--role", "emperor").exit_code == 2

    def test_token_revoke(self, db_url):
        _cli(db_url, "token", "create", "--role", "hq")
        assert _cli(db_url, "token", "revoke", "1").exit_code == 0
        assert "revoked" in _cli(db_url, "token", "list").stdout
        assert _cli(db_url, "token", "revoke", "999").exit_code == 1

    def test_commands_refuse_a_database_behind_migrations(self, databases):
        url = databases.empty()
        for args in (("serve",), ("seed",), ("token", "create", "--role", "hq")):
            result = _cli(url, *args)
            assert result.exit_code == 1 and "roster db upgrade" in result.stderr

    def test_db_upgrade(self, databases):
        url = databases.empty()
        assert _cli(url, "db", "upgrade").exit_code == 0
        engine = make_engine(url)
        with engine.connect() as connection:
            assert connection.execute(text("SELECT version_num FROM alembic_version")).scalar() == head_revision()
        engine.dispose()
