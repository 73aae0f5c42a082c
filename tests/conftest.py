"""Database fixtures: every service test gets its own database, cloned from a migrated template.

``ROSTER_TEST_DATABASE_URL`` picks the engine: unset or empty means SQLite files in a temporary
folder; a ``postgresql+psycopg://`` URL means databases created (and dropped) on that server.
"""

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import make_url, text
from sqlmodel import Session

from service.platform.db import make_engine, upgrade
from service.seeding import seed_reference

SERVER_URL = os.environ.get("ROSTER_TEST_DATABASE_URL") or None


def pytest_report_header(config) -> str:
    return f"database: {make_url(SERVER_URL).render_as_string(hide_password=True) if SERVER_URL else 'SQLite'}"


class Databases:
    """Creates and drops throw-away databases on the engine under test."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.created: list[str] = []
        if SERVER_URL:
            self.admin = make_engine(SERVER_URL).execution_options(isolation_level="AUTOCOMMIT")

    @property
    def dialect(self) -> str:
        return "postgresql" if SERVER_URL else "sqlite"

    def empty(self) -> str:
        name = f"roster_test_{uuid.uuid4().hex[:12]}"
        if not SERVER_URL:
            return f"sqlite:///{self.folder / (name + '.db')}"
        with self.admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        self.created.append(name)
        return make_url(SERVER_URL).set(database=name).render_as_string(hide_password=False)

    def clone(self, template_url: str) -> str:
        name = f"roster_test_{uuid.uuid4().hex[:12]}"
        if not SERVER_URL:
            target = self.folder / (name + ".db")
            shutil.copyfile(make_url(template_url).database, target)
            return f"sqlite:///{target}"
        template = make_url(template_url).database
        with self.admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
        self.created.append(name)
        return make_url(SERVER_URL).set(database=name).render_as_string(hide_password=False)

    def drop_all(self) -> None:
        if not SERVER_URL:
            return
        with self.admin.connect() as connection:
            for name in reversed(self.created):
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        self.admin.dispose()


@pytest.fixture(scope="session")
def databases(tmp_path_factory) -> Iterator[Databases]:
    dbs = Databases(tmp_path_factory.mktemp("databases"))
    yield dbs
    dbs.drop_all()


@pytest.fixture(scope="session")
def template_url(databases: Databases) -> str:
    """A database at the newest migration with the reference data loaded."""
    url = databases.empty()
    upgrade(url)
    engine = make_engine(url)
    with Session(engine) as session:
        seed_reference(session)
    engine.dispose()  # closing the last SQLite connection checkpoints the WAL into the file
    return url


@pytest.fixture
def db_url(databases: Databases, template_url: str) -> str:
    return databases.clone(template_url)


@pytest.fixture
def engine(db_url: str):
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


PUBLIC_ADDRESS = "93.184.215.14"  # a public address for test host names; nothing in the tests is ever sent to it


@pytest.fixture(scope="session", autouse=True)
def _webhook_resolver() -> Iterator[dict[str, list[str]]]:
    """No test asks the real DNS: webhook hosts under example.org resolve to one public address.

    ``localhost`` resolves to loopback, any other name to nothing. Session-wide, so that fixtures
    of any scope that subscribe a webhook see it too; tests change answers through ``webhook_dns``.
    """
    import socket

    from service.notifications import targets

    answers: dict[str, list[str]] = {}

    def resolve(host: str, port: int) -> list[str]:
        if host in answers:
            return answers[host]
        if host == "localhost":
            return ["127.0.0.1"]
        if host == "example.org" or host.endswith(".example.org"):
            return [PUBLIC_ADDRESS]
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(targets, "resolve", resolve)
        yield answers


@pytest.fixture
def webhook_dns(_webhook_resolver) -> Iterator[dict[str, list[str]]]:
    """The stub resolver's answers for this test (``webhook_dns[name] = [...]``); DNS rebinding is one that changes."""
    yield _webhook_resolver
    _webhook_resolver.clear()
