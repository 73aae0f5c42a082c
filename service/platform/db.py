"""Engines, sessions and the migration check."""

from functools import lru_cache
from pathlib import Path

from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event

MIGRATIONS = Path(__file__).parent.parent / "migrations"


def make_engine(url: str, *, pool_size: int = 10, connect_timeout: int = 5, **options) -> Engine:
    """An engine with the per-dialect settings the service relies on.

    On PostgreSQL, each checkout pings its connection first: a round trip that spares a request the
    connection that died with a database restart (a write cannot be retried behind the client's
    back). The busiest reads skip it: they run on the event loop and read again on a new connection
    when theirs is found dead (service/readpool.py).
    """
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin_immediate)
        return engine
    return create_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=True,
        pool_timeout=connect_timeout,
        connect_args={"connect_timeout": connect_timeout},
        **options,
    )


def read_engine(engine: Engine, *, pool_size: int = 10, connect_timeout: int = 5) -> Engine:
    """The engine for requests that only read: on PostgreSQL, a pool of its own in autocommit, which
    spares each request the BEGIN and ROLLBACK round trips (each statement reads its own snapshot, as
    under READ COMMITTED anyway); on SQLite, the same engine."""
    if engine.dialect.name != "postgresql":
        return engine
    return make_engine(
        engine.url.render_as_string(hide_password=False),
        pool_size=pool_size,
        connect_timeout=connect_timeout,
        isolation_level="AUTOCOMMIT",
    )


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    dbapi_connection.isolation_level = None  # we issue BEGIN ourselves, see below
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()
    # SQLite's lower() folds ASCII letters only ("É" stays "É"); the name search folds with Python's, as
    # PostgreSQL's lower() does under a UTF-8 locale (service.platform.sqljson.folded)
    dbapi_connection.create_function("unicode_lower", 1, _lower, deterministic=True)


def _lower(text: str | None) -> str | None:
    return None if text is None else text.lower()


def _sqlite_begin_immediate(connection) -> None:
    # Writers serialise at BEGIN instead of failing on lock upgrade mid-transaction.
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


@lru_cache(maxsize=1)
def head_revision() -> str:
    """The newest migration; read from the scripts once per process (health checks ask often)."""
    head = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    if head is None:
        raise RuntimeError(f"no migrations in {MIGRATIONS}: the package is incomplete")
    return head


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def pending_migrations(engine: Engine) -> str | None:
    """A message saying how to fix the database if it is behind the code, else None."""
    current, head = current_revision(engine), head_revision()
    if current == head:
        return None
    return (
        f"the database is at migration {current or 'none (empty)'} but this code needs {head}: "
        "run `roster db upgrade` (or `make run`) and start again"
    )


def upgrade(url: str, revision: str = "head") -> None:
    from alembic import command

    command.upgrade(alembic_config(url), revision)
