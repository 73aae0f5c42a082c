"""SIGKILL the API in the middle of a stream of writes: what was acknowledged stays, nothing is doubled."""

import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import httpx
from sqlmodel import Session, select

from schemas.enums import Role
from service.platform.db import make_engine
from service.platform.tables import Expert
from tests.resilience.conftest import ServerProcess, bearer, wait_until
from tests.service import factories

WRITES, SENDERS, KILL_AFTER = 120, 6, 30
# A claim left pending by a dead process is released after this long (once the service reads it).
PENDING_SECONDS = "2"


class Stream:
    """POST /experts with one Idempotency-Key each, from several threads, until the server dies."""

    def __init__(self, url: str, headers: dict) -> None:
        self.url, self.headers = url, headers
        self.acked: dict[str, int] = {}
        self.refused: dict[str, tuple[int, str]] = {}
        self.unanswered: set[str] = set()
        self.lock = threading.Lock()
        self.killed = threading.Event()

    def send(self, client: httpx.Client, key: str, body: dict) -> None:
        if self.killed.is_set():
            with self.lock:
                self.unanswered.add(key)
            return
        try:
            answer = client.post(self.url + "/experts", json=body, headers=self.headers | {"Idempotency-Key": key})
        except httpx.HTTPError:
            with self.lock:
                self.unanswered.add(key)
            return
        with self.lock:
            if answer.status_code == 201:
                self.acked[key] = answer.json()["id"]
            else:
                self.refused[key] = (answer.status_code, answer.text[:300])


def _retry_all(server: ServerProcess, headers: dict, bodies: dict, keys: set[str], seconds: float):
    """Send each again with the same key, as a client would after a dropped connection; 409 'in progress' is
    retried until ``seconds`` have passed. Returns (key -> id of the 201 answers, key -> last other answer)."""
    done: dict[str, int] = {}
    pending = sorted(keys)
    deadline = time.monotonic() + seconds
    while True:
        other: dict[str, tuple[int, str]] = {}
        for key in pending:
            answer = httpx.post(
                server.url + "/experts", json=bodies[key], headers=headers | {"Idempotency-Key": key}, timeout=10
            )
            if answer.status_code == 201:
                done[key] = answer.json()["id"]
            else:
                other[key] = (answer.status_code, answer.text[:200])
        pending = [key for key, (status, _) in other.items() if status == 409]
        if not pending or time.monotonic() > deadline:
            return done, other
        time.sleep(0.25)


def test_acknowledged_writes_survive_a_sigkill_and_none_is_doubled(db_url, server_log):
    headers = bearer(db_url, Role.hq)
    run = uuid.uuid4().hex[:8]
    bodies = {f"crash-{run}-{i}": factories.expert(email=f"crash-{run}-{i}@example.org") for i in range(WRITES)}
    server = ServerProcess(db_url, server_log, ROSTER_IDEMPOTENCY_PENDING_SECONDS=PENDING_SECONDS)
    server.start()
    try:
        stream = Stream(server.url, headers)
        with httpx.Client(timeout=10) as client, ThreadPoolExecutor(SENDERS) as pool:
            for key, body in bodies.items():
                pool.submit(stream.send, client, key, body)
            wait_until(lambda: len(stream.acked) >= KILL_AFTER, 30, what=f"{KILL_AFTER} acknowledged writes")
            server.kill()
            stream.killed.set()
        assert not stream.refused, f"writes refused before the crash: {stream.refused}"
        assert stream.unanswered, "the kill came after the last write: nothing was in flight"
        assert len(stream.acked) + len(stream.unanswered) == WRITES

        server.start()
        retried, stuck = _retry_all(server, headers, bodies, stream.unanswered, seconds=10)
        replayed = httpx.post(
            server.url + "/experts",
            json=bodies[next(iter(stream.acked))],
            headers=headers | {"Idempotency-Key": next(iter(stream.acked))},
            timeout=10,
        )
    finally:
        server.stop()

    engine = make_engine(db_url)
    with Session(engine) as session:
        stored = session.exec(select(Expert.id, Expert.email).where(Expert.email.like(f"crash-{run}-%"))).all()
    engine.dispose()
    ids_by_email = {email: expert_id for expert_id, email in stored}
    doubled = [email for email, n in Counter(email for _, email in stored).items() if n > 1]
    assert not doubled, f"written twice: {doubled}"
    lost = {key: i for key, i in stream.acked.items() if ids_by_email.get(f"{key}@example.org") != i}
    assert not lost, f"acknowledged before the crash but missing (or another id) after it: {lost}"
    assert replayed.status_code == 201 and replayed.headers.get("idempotent-replayed") == "true"
    assert replayed.json()["id"] == stream.acked[next(iter(stream.acked))]
    assert not stuck, (
        f"{len(stuck)} of {len(stream.unanswered)} retries with the same Idempotency-Key never succeeded "
        f"after the restart (a claim left pending by the killed process): {stuck}"
    )
    assert {ids_by_email[f"{key}@example.org"] for key in retried} == set(retried.values())
    assert len(stored) == len(stream.acked) + len(retried) == WRITES
