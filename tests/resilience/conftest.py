"""The real server in a child process, to be killed, restarted and cut off from its database."""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from sqlmodel import Session

from schemas.enums import Role
from service.platform.auth import issue_token
from service.platform.db import make_engine

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    """A port nobody listens on: any, or the first free one of ROSTER_TEST_PORTS (e.g. 8701-8709) when set."""
    first, _, last = os.environ.get("ROSTER_TEST_PORTS", "0").partition("-")
    for port in range(int(first), int(last or first) + 1):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return probe.getsockname()[1]
    raise RuntimeError(f"no free port in ROSTER_TEST_PORTS={os.environ['ROSTER_TEST_PORTS']}")


def wait_until(condition, seconds: float, interval: float = 0.05, what: str = "the condition"):
    """Poll ``condition`` until it returns something truthy; fail after ``seconds``."""
    deadline = time.monotonic() + seconds
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not hold within {seconds:.0f} s")
        time.sleep(interval)


class ServerProcess:
    """``roster serve`` on a fixed free port; start, kill, start again."""

    def __init__(self, db_url: str, log: Path, workers: int = 1, **env: str) -> None:
        self.port, self.workers = free_port(), workers
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        self.env = (
            os.environ
            | {
                "ROSTER_DATABASE_URL": db_url,
                "ROSTER_ENVIRONMENT": "test",
                "ROSTER_WORKER": "external",
                "ROSTER_LOG_LEVEL": "WARNING",
                "PYTHONUNBUFFERED": "1",
            }
            | env
        )
        self.child: subprocess.Popen | None = None

    def start(self, ready_within: float = 30) -> None:
        with open(self.log, "ab") as out:
            self.child = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "service.cli",
                    "serve",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(self.port),
                    "--workers",
                    str(self.workers),
                ],
                env=self.env,
                cwd=ROOT,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        wait_until(self._healthy, ready_within, what=f"GET {self.url}/health answering 200")

    def _healthy(self) -> bool:
        if self.child.poll() is not None:
            raise AssertionError(f"the server exited with {self.child.returncode}:\n{self.log.read_text()[-3000:]}")
        try:
            return httpx.get(self.url + "/health", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    def kill(self) -> None:
        """SIGKILL, as a crash or the OOM killer would: no shutdown code runs."""
        os.killpg(self.child.pid, signal.SIGKILL)
        self.child.wait(timeout=10)

    def stop(self) -> None:
        if self.child is not None and self.child.poll() is None:
            os.killpg(self.child.pid, signal.SIGTERM)
            try:
                self.child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()


def bearer(db_url: str, role: Role, state: str | None = None) -> dict[str, str]:
    """Headers with a new token, written straight to the database."""
    engine = make_engine(db_url)
    try:
        with Session(engine) as session:
            _, secret = issue_token(session, role=role, name=f"resilience {role.value}", state=state)
            session.commit()
    finally:
        engine.dispose()
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def server_log(tmp_path: Path) -> Path:
    return tmp_path / "server.log"
