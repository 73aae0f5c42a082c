"""One at a time per caller: a second long job (an import) from the same caller is refused while the first runs.

Held across every API process, and let go when the job ends, fails or its process dies:

- PostgreSQL: a session-level advisory lock (``pg_try_advisory_lock``) on a connection kept for the job. The
  server lets it go if the connection closes; a connection whose unlock failed is closed, never pooled with the
  lock on it.
- SQLite: an exclusive ``flock`` on a file per caller, in a folder beside the database file. The kernel lets it go
  when the file is closed or the process dies, and it holds between processes as between threads.
"""

import fcntl
import hashlib
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, text

from service.platform.errors import TooManyRequests

RETRY_AFTER_SECONDS = 10  # a large import takes some seconds; a client asking every 10 s waits little


def _key(name: str) -> int:
    """A stable signed 64-bit number for the lock's name (Python's hash() changes between processes)."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


def _busy(message: str) -> TooManyRequests:
    return TooManyRequests(message, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})


@contextmanager
def one_at_a_time(engine: Engine, name: str, busy: str) -> Iterator[None]:
    """Hold the turn called ``name`` while the block runs; 429 with ``busy`` and Retry-After if it is taken."""
    turn = _postgresql_turn if engine.dialect.name == "postgresql" else _file_turn
    with turn(engine, name, busy):
        yield


@contextmanager
def _postgresql_turn(engine: Engine, name: str, busy: str) -> Iterator[None]:
    connection = engine.connect()
    try:
        key = _key(name)
        taken = connection.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar()
        connection.commit()  # the lock outlives the transaction; the connection does not sit idle in one
        if not taken:
            raise _busy(busy)
        try:
            yield
        finally:
            try:
                connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
                connection.commit()
            except Exception:
                connection.invalidate()  # closed, so the server lets the lock go
                raise
    finally:
        connection.close()


def _lock_file(engine: Engine, name: str) -> Path:
    database = engine.url.database
    if database and database != ":memory:":
        folder = Path(database).with_name(Path(database).name + "-turns")
    else:
        folder = Path(tempfile.gettempdir()) / f"roster-turns-{os.getpid()}"  # one process has the database
    folder.mkdir(mode=0o700, exist_ok=True)
    return folder / (hashlib.sha256(name.encode()).hexdigest()[:32] + ".lock")


@contextmanager
def _file_turn(engine: Engine, name: str, busy: str) -> Iterator[None]:
    descriptor = os.open(_lock_file(engine, name), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise _busy(busy) from None
        yield
    finally:
        os.close(descriptor)  # closing lets the lock go
