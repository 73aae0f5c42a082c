"""Stop PostgreSQL under a running API and start it again: 503 with a clear message, then recovery by itself.

The test runs its own throw-away cluster (initdb in a temporary folder, on a free port), never the shared
server; it runs whenever PostgreSQL's binaries are installed, whatever ROSTER_TEST_DATABASE_URL says.
"""

import glob
import os
import shutil
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text
from sqlmodel import Session

from schemas.enums import Role
from service.platform.db import make_engine, upgrade
from service.seeding import seed_reference
from tests.resilience.conftest import ServerProcess, bearer, free_port, wait_until
from tests.service import factories

ANSWER_WITHIN = 10.0  # seconds: a request while the database is down must be answered, not hang
RECOVER_WITHIN = 30.0


def _bin_dir() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb")) or [shutil.which("initdb") or ""]
    return Path(found[-1]).parent if found[-1] else None


class Cluster:
    """A PostgreSQL cluster of our own: initdb, start, stop (fast), start again."""

    def __init__(self, bin_dir: Path, folder: Path) -> None:
        self.bin, self.folder, self.port = bin_dir, folder, free_port()
        self.data = folder / "data"

    def _run(self, *command: str) -> None:
        argv = [str(self.bin / command[0]), *command[1:]]
        if os.geteuid() == 0:  # PostgreSQL refuses to run as root
            argv = ["runuser", "-u", "postgres", "--", *argv]
        done = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)
        assert done.returncode == 0, f"{' '.join(argv)} failed: {done.stdout}{done.stderr}"

    def init(self) -> None:
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync")

    def start(self) -> None:
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={self.folder} "
            "-c fsync=off -c full_page_writes=off"
        )
        self._run(
            "pg_ctl",
            "-D",
            str(self.data),
            "-l",
            str(self.folder / "server.log"),
            "-o",
            options,
            "-w",
            "-t",
            "30",
            "start",
        )

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "30", "stop")

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    bin_dir = _bin_dir()
    if bin_dir is None:
        pytest.skip("PostgreSQL's server binaries (initdb, pg_ctl) are not installed: apt-get install postgresql")
    folder = Path(tempfile.mkdtemp(prefix="roster-outage-"))
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
    cluster = Cluster(bin_dir, folder)
    cluster.init()
    cluster.start()
    try:
        yield cluster
    finally:
        subprocess.run(
            [str(bin_dir / "pg_ctl"), "-D", str(cluster.data), "-m", "immediate", "stop"],
            capture_output=True,
            timeout=60,
            check=False,
            **({"user": "postgres"} if os.geteuid() == 0 else {}),
        )
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def cluster_db(cluster: Cluster) -> str:
    admin = create_engine(cluster.url("postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text('CREATE DATABASE "roster"'))
    admin.dispose()
    url = cluster.url("roster")
    upgrade(url)
    engine = make_engine(url)
    with Session(engine) as session:
        seed_reference(session)
    engine.dispose()
    return url


def _timed(call) -> tuple[httpx.Response | None, float]:
    started = time.monotonic()
    try:
        answer = call()
    except httpx.HTTPError:
        answer = None
    return answer, time.monotonic() - started


def _calls(url: str, planner: dict, hq: dict) -> dict:
    """The requests tried while the database is down: reads, writes, a write with an Idempotency-Key.

    Each on a new connection, so that a server closing one connection after an error spoils only that answer.
    """
    timeout = ANSWER_WITHIN + 20
    return {
        "GET /experts": lambda: httpx.get(f"{url}/experts?limit=5", headers=planner, timeout=timeout),
        "GET /experts/1": lambda: httpx.get(f"{url}/experts/1", headers=planner, timeout=timeout),
        "POST /experts": lambda: httpx.post(f"{url}/experts", json=factories.expert(), headers=hq, timeout=timeout),
        "POST /experts with Idempotency-Key": lambda: httpx.post(
            f"{url}/experts",
            json=factories.expert(),
            headers=hq | {"Idempotency-Key": uuid.uuid4().hex},
            timeout=timeout,
        ),
        # on PostgreSQL, written in one statement on the event loop (service/repositories/offers.py)
        "POST /offers": lambda: httpx.post(
            f"{url}/offers", json=factories.offer(state="NOR"), headers=hq, timeout=timeout
        ),
    }


def test_database_outage_answers_503_then_recovers_by_itself(cluster, cluster_db, server_log):
    planner, hq = bearer(cluster_db, Role.planner), bearer(cluster_db, Role.hq)
    server = ServerProcess(cluster_db, server_log, ROSTER_DB_CONNECT_TIMEOUT="2")
    server.start()
    try:
        calls = _calls(server.url, planner, hq)
        first = calls["POST /experts"]()
        assert first.status_code == 201
        assert calls["GET /experts"]().status_code == 200

        cluster.stop("fast")
        wrong = {}
        for _round in range(2):  # the second round meets connections the pool already knows are dead
            for name, call in calls.items():
                answer, seconds = _timed(call)
                body = answer.json() if answer is not None and "json" in answer.headers.get("content-type", "") else {}
                if (
                    answer is None
                    or answer.status_code != 503
                    or seconds > ANSWER_WITHIN
                    or body.get("error") != "service_unavailable"
                    or "database" not in str(body.get("detail"))
                ):
                    wrong[name] = (
                        answer.status_code if answer else "no answer",
                        round(seconds, 1),
                        answer.text[:200] if answer is not None else "",
                    )
        assert not wrong, (
            f"while PostgreSQL is down, expected 503 service_unavailable naming the database within "
            f"{ANSWER_WITHIN:.0f} s; got {wrong}"
        )
        health, seconds = _timed(lambda: httpx.get(server.url + "/health", timeout=ANSWER_WITHIN + 20))
        assert health.status_code == 503 and health.json()["database"] == "unreachable" and seconds < ANSWER_WITHIN

        cluster.start()
        wait_until(
            lambda: calls["GET /experts"]().status_code == 200,
            RECOVER_WITHIN,
            interval=0.2,
            what="GET /experts answering 200 after PostgreSQL came back",
        )
        assert calls["POST /experts"]().status_code == 201
        assert calls["POST /experts with Idempotency-Key"]().status_code == 201
        assert calls["POST /offers"]().status_code == 201
        cluster.stop("fast")  # a restart between two requests: connections closed while idle, no error seen
        cluster.start()
        assert calls["POST /offers"]().status_code == 201  # not sent on a dead connection (nor twice)
        one = httpx.get(f"{server.url}/experts/{first.json()['id']}", headers=planner, timeout=10)
        assert one.status_code == 200 and one.json()["id"] == first.json()["id"]
        assert httpx.get(server.url + "/health", timeout=10).json()["database"] == "ok"
    finally:
        server.stop()
