"""Hostile import files against the real server (issue 17): each answers 4xx within 2 s, and /health answers
throughout, polled from another thread while the files go in. The first file of the list killed the process."""

import threading
import time

import httpx

from schemas.enums import Role
from tests.resilience.conftest import ServerProcess, bearer
from tests.service.test_hostile_files import HOSTILE, WITHIN_SECONDS
from tests.service.test_imports import EXPERT_HEADER, as_csv, expert_row

HEALTH_EVERY_SECONDS = 0.05
HEALTH_WITHIN_SECONDS = 1.0


class HealthWatch:
    """GET /health again and again on its own thread; every answer's status and time are kept."""

    def __init__(self, url: str) -> None:
        self.url, self.answers = url + "/health", []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._watch, daemon=True)

    def _watch(self) -> None:
        with httpx.Client(timeout=10) as client:
            while not self.stop.is_set():
                started = time.perf_counter()
                try:
                    status = client.get(self.url).status_code
                except httpx.HTTPError as exc:
                    status = exc.__class__.__name__
                self.answers.append((status, time.perf_counter() - started))
                self.stop.wait(HEALTH_EVERY_SECONDS)

    def __enter__(self) -> "HealthWatch":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        self.thread.join(15)


def _post(url: str, headers: dict, content: bytes) -> tuple[httpx.Response, float]:
    started = time.perf_counter()
    answer = httpx.post(
        url + "/experts/import",
        params={"dry_run": "true"},
        headers=headers,
        files={"file": ("upload", content, "application/octet-stream")},
        timeout=60,
    )
    return answer, time.perf_counter() - started


def test_hostile_files_answer_4xx_at_once_while_health_answers(db_url, server_log):
    server = ServerProcess(db_url, server_log, workers=1)
    server.start()
    try:
        headers = bearer(db_url, Role.member_state, "NOR")
        files = {name: make() for name, make in HOSTILE.items()}
        with HealthWatch(server.url) as health:
            answers = {name: _post(server.url, headers, content) for name, content in files.items()}
        assert httpx.get(server.url + "/health", timeout=5).status_code == 200
    finally:
        server.stop()
    for name, (answer, took) in answers.items():
        assert 400 <= answer.status_code < 500, f"{name}: {answer.status_code} {answer.text[:300]}"
        assert took < WITHIN_SECONDS, f"{name}: {took:.1f} s"
    assert len(health.answers) >= 5, "the health watch hardly ran"
    failed = [(status, took) for status, took in health.answers if status != 200 or took > HEALTH_WITHIN_SECONDS]
    assert not failed, f"/health failed or was slow {len(failed)} time(s) out of {len(health.answers)}: {failed[:5]}"


def test_a_reader_out_of_time_is_killed_and_the_server_goes_on(db_url, server_log):
    """A file that takes longer than ROSTER_IMPORT_SECONDS to read: its child is killed, the caller told to split."""
    server = ServerProcess(db_url, server_log, workers=1, ROSTER_IMPORT_SECONDS="0.2")
    server.start()
    try:
        headers = bearer(db_url, Role.hq)
        slow = as_csv(EXPERT_HEADER, [expert_row(n) for n in range(1, 20_001)])
        with HealthWatch(server.url) as health:
            answer, took = _post(server.url, headers, slow)
        again, _ = _post(server.url, headers, as_csv(EXPERT_HEADER, [expert_row(1)]))
    finally:
        server.stop()
    assert answer.status_code == 422, answer.text[:300]
    assert "took more than 0.2 s: split it" in answer.json()["errors"][0]["message"]
    assert took < WITHIN_SECONDS
    assert all(status == 200 for status, _ in health.answers)
    assert again.status_code == 200, again.text[:300]  # the token's turn was let go; a fresh reader read it
