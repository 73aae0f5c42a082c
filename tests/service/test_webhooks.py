"""Webhook delivery against a real local HTTP receiver: signatures, retries with backoff, recorded attempts."""

import json
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from sqlmodel import Session, select

from schemas.enums import DeliveryStatus
from service.notifications import outbox, webhooks
from service.platform.tables import Delivery, OutboxEvent, Subscription, utcnow

SECRET = "receiver-secret-0123456789"


@dataclass
class Receiver:
    """A local webhook endpoint: answers the scripted statuses in turn (then 204) and keeps what it got."""

    url: str
    secret: str = SECRET
    script: list[int] = field(default_factory=list)
    received: list[dict] = field(default_factory=list)
    bad_signatures: int = 0


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            if not webhooks.verify_signature(receiver.secret, body, self.headers.get("X-Roster-Signature", "")):
                receiver.bad_signatures += 1
                code = 401
            else:
                receiver.received.append({"headers": dict(self.headers), "body": json.loads(body)})
                code = receiver.script.pop(0) if receiver.script else 204
            self.send_response(code)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args) -> None:
            pass

    return Handler


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), None)
    host, port = server.server_address
    state = Receiver(url=f"http://{host}:{port}/hooks/roster")
    server.RequestHandlerClass = _handler(state)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with httpx.Client(trust_env=False) as client:  # no proxy between us and 127.0.0.1
        yield client


def subscribe(client, headers, url: str, **body) -> int:
    response = client.post("/subscriptions", json={"url": url, "secret": SECRET} | body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()["id"]


def emit(engine, type_: str, state: str | None, entity_id: int = 1) -> int:
    with Session(engine) as session:
        outbox.emit(
            session,
            type_,
            state=state,
            entity="deployment",
            entity_id=entity_id,
            payload={"deployment_id": entity_id, "state": state},
        )
        session.commit()
        return session.exec(select(OutboxEvent.id).order_by(OutboxEvent.id.desc())).first()


def enqueue(engine, **kwargs) -> int:
    with Session(engine) as session:
        added = webhooks.enqueue(session, **kwargs)
        session.commit()
    return added


def deliveries(engine, subscription_id: int) -> list[Delivery]:
    with Session(engine) as session:
        return list(
            session.exec(
                select(Delivery).where(Delivery.subscription_id == subscription_id).order_by(Delivery.id)
            ).all()
        )


class TestSignature:
    def test_verify_accepts_the_right_signature_only(self):
        body = b'{"id":1}'
        good = webhooks.sign("k" * 20, body)
        assert good.startswith("sha256=") and len(good) == 7 + 64
        assert webhooks.verify_signature("k" * 20, body, good)
        assert not webhooks.verify_signature("k" * 20, body + b" ", good)
        assert not webhooks.verify_signature("j" * 20, body, good)
        assert not webhooks.verify_signature("k" * 20, body, good.removeprefix("sha256="))
        assert not webhooks.verify_signature("k" * 20, body, "")

    def test_backoff_doubles_and_is_capped(self):
        assert [webhooks.backoff(n).total_seconds() for n in (1, 2, 3, 4)] == [10, 20, 40, 80]
        assert webhooks.backoff(20) == timedelta(hours=1)


class TestEnqueue:
    def test_only_visible_and_wanted_events_become_deliveries(self, client, auth, engine):
        nor = subscribe(client, auth("member_state", "NOR"), "https://nor.example.org/h")
        nor_cancel = subscribe(
            client, auth("member_state", "NOR"), "https://nor.example.org/c", event_types=["deployment.cancelled"]
        )
        hq = subscribe(client, auth("hq"), "https://hq.example.org/h")
        e_nor = emit(engine, "deployment.approved", "NOR")
        e_gha = emit(engine, "deployment.approved", "GHA")
        e_hq = emit(engine, "plan.finished", None)
        e_cancel = emit(engine, "deployment.cancelled", "NOR")
        assert enqueue(engine) == 2 + 1 + 4
        assert [d.event_id for d in deliveries(engine, nor)] == [e_nor, e_cancel]
        assert [d.event_id for d in deliveries(engine, nor_cancel)] == [e_cancel]
        assert [d.event_id for d in deliveries(engine, hq)] == [e_nor, e_gha, e_hq, e_cancel]
        with Session(engine) as session:
            assert session.get(Subscription, nor).cursor == e_cancel

    def test_enqueue_twice_adds_nothing_new(self, client, auth, engine):
        sub = subscribe(client, auth("hq"), "https://hq.example.org/h")
        emit(engine, "deployment.approved", "NOR")
        assert enqueue(engine) == 1
        assert enqueue(engine) == 0
        emit(engine, "deployment.approved", "NOR", 2)
        assert enqueue(engine) == 1
        assert len(deliveries(engine, sub)) == 2

    def test_late_commit_behind_the_cursor_is_still_delivered(self, client, auth, engine):
        sub = subscribe(client, auth("hq"), "https://hq.example.org/h")
        first, second, third = (emit(engine, "deployment.approved", "NOR", n) for n in range(3))
        with Session(engine) as session:  # as if first and second had committed after third was enqueued
            row = session.get(Subscription, sub)
            row.cursor = third
            session.add_all([row, Delivery(subscription_id=sub, event_id=third)])
            session.commit()
        assert enqueue(engine, now=utcnow() + 2 * webhooks.LOOKBACK) == 0  # beyond the look-back: lost
        assert enqueue(engine) == 2
        assert [d.event_id for d in deliveries(engine, sub)] == [third, first, second]
        assert enqueue(engine) == 0

    def test_inactive_subscription_gets_nothing(self, client, auth, engine):
        hq = auth("hq")
        sub = subscribe(client, hq, "https://hq.example.org/h")
        client.delete(f"/subscriptions/{sub}", headers=hq)
        emit(engine, "deployment.approved", "NOR")
        assert enqueue(engine) == 0 and deliveries(engine, sub) == []


class TestDispatch:
    def test_signed_delivery_to_a_real_receiver(self, client, auth, engine, receiver, http):
        norway = auth("member_state", "NOR")
        sub = subscribe(client, norway, receiver.url)
        event_id = emit(engine, "offer.accepted", "NOR", 7)
        enqueue(engine)
        assert webhooks.dispatch_once(engine, client=http) == 1
        assert receiver.bad_signatures == 0
        (got,) = receiver.received
        assert got["body"]["id"] == event_id and got["body"]["type"] == "offer.accepted"
        assert got["body"]["state"] == "NOR" and got["body"]["entity_id"] == "7"
        assert got["body"]["payload"] == {"deployment_id": 7, "state": "NOR"} and got["body"]["at"]
        (delivery,) = deliveries(engine, sub)
        assert got["headers"]["X-Roster-Event"] == "offer.accepted"
        assert got["headers"]["X-Roster-Delivery"] == str(delivery.id)
        assert got["headers"]["X-Roster-Timestamp"].isdigit()
        assert delivery.status == DeliveryStatus.delivered and delivery.attempts == 1
        assert delivery.last_status_code == 204 and delivery.delivered_at is not None
        assert webhooks.dispatch_once(engine, client=http) == 0
        assert len(receiver.received) == 1

    def test_default_client_delivers(self, client, auth, engine, receiver, monkeypatch):
        for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
            monkeypatch.delenv(name, raising=False)
        subscribe(client, auth("hq"), receiver.url)
        emit(engine, "plan.finished", None)
        enqueue(engine)
        assert webhooks.dispatch_once(engine) == 1
        assert len(receiver.received) == 1 and receiver.bad_signatures == 0

    def test_production_refuses_private_targets(self, client, auth, engine, receiver, http):
        sub = subscribe(client, auth("member_state", "NOR"), receiver.url)
        emit(engine, "offer.accepted", "NOR")
        enqueue(engine)
        assert webhooks.dispatch_once(engine, client=http, allow_private=False) == 1
        assert receiver.received == []
        (delivery,) = deliveries(engine, sub)
        assert delivery.status == DeliveryStatus.pending and "private or reserved address" in delivery.last_error

    def test_private_target_check(self):
        assert "127.0.0.1" in webhooks.private_target("http://127.0.0.1:9/hook")
        assert "private" in webhooks.private_target("http://10.1.2.3/hook")
        assert "private" in webhooks.private_target("http://[::1]/hook")
        assert "169.254.169.254" in webhooks.private_target("http://169.254.169.254/latest/meta-data")
        assert webhooks.private_target("http://8.8.8.8/hook") is None

    def test_the_setting_follows_the_environment(self):
        from service.platform.settings import Settings

        assert Settings(environment="development").allow_private_webhooks is True
        production = Settings(environment="production", database_url="postgresql+psycopg://x@y/z")
        assert production.allow_private_webhooks is False
        assert (
            Settings(
                environment="production", database_url="postgresql+psycopg://x@y/z", webhooks_to_private_addresses=True
            ).allow_private_webhooks
            is True
        )

    def test_wrong_secret_is_refused_by_the_receiver(self, client, auth, engine, receiver, http):
        sub = subscribe(client, auth("hq"), receiver.url, secret="another-secret-entirely")
        emit(engine, "plan.finished", None)
        enqueue(engine)
        webhooks.dispatch_once(engine, client=http)
        assert receiver.bad_signatures == 1 and receiver.received == []
        (delivery,) = deliveries(engine, sub)
        assert delivery.status == DeliveryStatus.pending and delivery.last_status_code == 401

    def test_failure_then_retry_after_backoff(self, client, auth, engine, receiver, http):
        norway = auth("member_state", "NOR")
        sub = subscribe(client, norway, receiver.url)
        receiver.script = [500]
        emit(engine, "deployment.approved", "NOR")
        enqueue(engine)
        start = utcnow()
        assert webhooks.dispatch_once(engine, client=http, now=start) == 1
        (failed,) = deliveries(engine, sub)
        assert failed.status == DeliveryStatus.pending and failed.attempts == 1
        assert failed.last_status_code == 500 and failed.last_error == "HTTP 500"
        assert failed.next_attempt_at == start + timedelta(seconds=10)
        shown = client.get(f"/subscriptions/{sub}/deliveries", headers=norway).json()["data"][0]
        assert shown["status"] == "pending" and shown["next_attempt_at"] and shown["last_error"] == "HTTP 500"

        assert webhooks.dispatch_once(engine, client=http, now=start + timedelta(seconds=9)) == 0
        assert len(receiver.received) == 1
        assert webhooks.dispatch_once(engine, client=http, now=start + timedelta(seconds=11)) == 1
        assert len(receiver.received) == 2 and receiver.bad_signatures == 0
        assert receiver.received[0]["body"] == receiver.received[1]["body"]
        assert (
            receiver.received[0]["headers"]["X-Roster-Delivery"] == receiver.received[1]["headers"]["X-Roster-Delivery"]
        )
        (done,) = deliveries(engine, sub)
        assert done.status == DeliveryStatus.delivered and done.attempts == 2 and done.last_status_code == 204
        assert done.last_error is None and done.delivered_at == start + timedelta(seconds=11)

        listed = client.get(f"/subscriptions/{sub}/deliveries", headers=norway).json()
        assert listed["data"][0]["next_attempt_at"] is None and listed["data"][0]["delivered_at"]
        assert listed["count"] == 1
        assert listed["data"][0] | {"next_attempt_at": None, "delivered_at": None} == {
            "id": done.id,
            "event_id": done.event_id,
            "event_type": "deployment.approved",
            "status": "delivered",
            "attempts": 2,
            "next_attempt_at": None,
            "last_status_code": 204,
            "last_error": None,
            "delivered_at": None,
        }
        assert client.get(f"/subscriptions/{sub}/deliveries?status=failed", headers=norway).json()["count"] == 0

    def test_gives_up_after_max_attempts(self, client, auth, engine, receiver, http):
        hq = auth("hq")
        sub = subscribe(client, hq, receiver.url)
        receiver.script = [503] * 20
        emit(engine, "deployment.cancelled", "NOR")
        enqueue(engine)
        now = utcnow()
        for attempt in range(1, webhooks.MAX_ATTEMPTS + 1):
            assert webhooks.dispatch_once(engine, client=http, now=now) == 1, attempt
            (delivery,) = deliveries(engine, sub)
            assert delivery.attempts == attempt
            now = delivery.next_attempt_at + timedelta(seconds=1)
        assert delivery.status == DeliveryStatus.failed and delivery.last_status_code == 503
        assert webhooks.dispatch_once(engine, client=http, now=now + timedelta(days=1)) == 0
        assert len(receiver.received) == webhooks.MAX_ATTEMPTS
        failed = client.get(f"/subscriptions/{sub}/deliveries?status=failed", headers=hq).json()
        assert failed["count"] == 1 and failed["data"][0]["attempts"] == webhooks.MAX_ATTEMPTS

    def test_network_error_is_recorded_and_retried(self, client, auth, engine, http):
        with socket.socket() as probe:  # a port with nobody listening
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        sub = subscribe(client, auth("hq"), f"http://127.0.0.1:{port}/hook")
        emit(engine, "plan.finished", None)
        enqueue(engine)
        start = utcnow()
        assert webhooks.dispatch_once(engine, client=http, now=start) == 1
        (delivery,) = deliveries(engine, sub)
        assert delivery.status == DeliveryStatus.pending and delivery.attempts == 1
        assert delivery.last_status_code is None and "ConnectError" in delivery.last_error
        assert delivery.next_attempt_at == start + timedelta(seconds=10)

    def test_unsendable_url_is_recorded_not_raised(self, client, auth, engine, http):
        sub = subscribe(client, auth("hq"), "https://hq.example.org/h")
        with Session(engine) as session:  # a URL stored before today's validation existed
            row = session.get(Subscription, sub)
            row.url = "https://hq.example.org/\x01"
            session.add(row)
            session.commit()
        emit(engine, "plan.finished", None)
        enqueue(engine)
        assert webhooks.dispatch_once(engine, client=http) == 1
        (delivery,) = deliveries(engine, sub)
        assert delivery.attempts == 1 and delivery.status == DeliveryStatus.pending
        assert delivery.last_error.startswith("InvalidURL")

    def test_other_states_event_never_reaches_norway(self, client, auth, engine, receiver, http):
        nor = subscribe(client, auth("member_state", "NOR"), receiver.url)
        emit(engine, "deployment.approved", "GHA")
        emit(engine, "deployment.approved", None)
        nor_event = emit(engine, "deployment.approved", "NOR")
        enqueue(engine)
        webhooks.dispatch_once(engine, client=http)
        assert [r["body"]["id"] for r in receiver.received] == [nor_event]
        assert {r["body"]["state"] for r in receiver.received} == {"NOR"}
        assert [d.event_id for d in deliveries(engine, nor)] == [nor_event]

    def test_deactivating_stops_pending_deliveries(self, client, auth, engine, receiver, http):
        hq = auth("hq")
        sub = subscribe(client, hq, receiver.url)
        emit(engine, "plan.finished", None)
        enqueue(engine)
        assert client.delete(f"/subscriptions/{sub}", headers=hq).status_code == 204
        assert webhooks.dispatch_once(engine, client=http) == 0
        assert receiver.received == []
        (delivery,) = deliveries(engine, sub)
        assert delivery.status == DeliveryStatus.failed and delivery.last_error == "subscription deactivated"

    def test_batch_limits_one_round(self, client, auth, engine, receiver, http):
        subscribe(client, auth("hq"), receiver.url)
        for n in range(3):
            emit(engine, "plan.finished", None, n)
        enqueue(engine)
        assert webhooks.dispatch_once(engine, client=http, batch=2) == 2
        assert webhooks.dispatch_once(engine, client=http, batch=2) == 1
        assert [r["body"]["entity_id"] for r in receiver.received] == ["0", "1", "2"]


class TestSeveralWorkers:
    """Two workers at once never send a delivery twice nor create it twice (row locks on PostgreSQL)."""

    @staticmethod
    def _together(*jobs) -> list:
        results, errors = [None] * len(jobs), []
        barrier = threading.Barrier(len(jobs))

        def run(i, job):
            barrier.wait()
            try:
                results[i] = job()
            except Exception as exc:  # surfaced by the assertion below
                errors.append(exc)

        threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert errors == []
        return results

    def test_concurrent_enqueue_creates_each_delivery_once(self, client, auth, engine):
        subs = [subscribe(client, auth("hq"), f"https://hq.example.org/{n}") for n in range(4)]
        for n in range(10):
            emit(engine, "plan.finished", None, n)
        added = self._together(lambda: enqueue(engine), lambda: enqueue(engine))
        assert sum(added) == 40
        assert all(len(deliveries(engine, sub)) == 10 for sub in subs)

    def test_concurrent_dispatch_sends_each_delivery_once(self, client, auth, engine, receiver):
        sub = subscribe(client, auth("hq"), receiver.url)
        for n in range(20):
            emit(engine, "plan.finished", None, n)
        enqueue(engine)
        with httpx.Client(trust_env=False) as one, httpx.Client(trust_env=False) as two:
            sent = self._together(
                lambda: webhooks.dispatch_once(engine, client=one), lambda: webhooks.dispatch_once(engine, client=two)
            )
        assert sum(sent) == 20
        assert sorted(int(r["body"]["entity_id"]) for r in receiver.received) == list(range(20))
        assert all(d.status == DeliveryStatus.delivered and d.attempts == 1 for d in deliveries(engine, sub))
