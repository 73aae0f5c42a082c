"""Webhook delivery against a real local HTTP receiver: signatures, retries with backoff, recorded attempts.

The receiver checks signatures with the README's own recipe, and sits on 127.0.0.1, which this module's
app and dispatches allow explicitly (ROSTER_WEBHOOK_ALLOWED_NETWORKS); nothing else local is allowed.
"""

import json
import re
import shutil
import socket
import ssl
import subprocess
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from schemas.enums import DeliveryStatus
from service.app import create_app
from service.notifications import outbox, targets, webhooks
from service.platform.settings import Settings
from service.platform.tables import Delivery, OutboxEvent, Subscription, utcnow

SECRET = "receiver-secret-0123456789"
LOCAL = ["127.0.0.1/32"]
README = Path(__file__).resolve().parents[2] / "README.md"


def readme_recipe() -> Callable[..., bool]:
    """``verify_roster_signature`` as the README gives it to receivers, run as written."""
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.DOTALL)
    (code,) = [b for b in blocks if "def verify_roster_signature" in b]
    namespace: dict = {}
    exec(compile(code, str(README), "exec"), namespace)  # our own README, run as a receiver would paste it
    return namespace["verify_roster_signature"]


verify = readme_recipe()


@pytest.fixture
def app(db_url: str):
    """The service with the local receiver's address allowed, as an operator would allow an internal one."""
    app = create_app(
        Settings(database_url=db_url, environment="test", worker="external", webhook_allowed_networks=LOCAL)
    )
    yield app
    app.state.engine.dispose()
    app.state.read_engine.dispose()


@pytest.fixture
def strict(db_url: str) -> Iterator[TestClient]:
    """The service as configured by default (development, nothing allowed), on the same database."""
    app = create_app(Settings(database_url=db_url, environment="development", worker="external"))
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client
    app.state.engine.dispose()
    app.state.read_engine.dispose()


def dispatch(engine, **kwargs) -> int:
    return webhooks.dispatch_once(engine, **({"allowed": LOCAL} | kwargs))


@dataclass
class Receiver:
    """A local webhook endpoint: answers the scripted statuses in turn (then 204) and keeps what it got."""

    url: str
    secret: str = SECRET
    script: list[int] = field(default_factory=list)
    received: list[dict] = field(default_factory=list)
    bad_signatures: int = 0
    clock: float | None = None  # the receiver's time (unix seconds) for tests that send at a made-up time


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            if not verify(receiver.secret, body, self.headers.get("X-Roster-Signature", ""), now=receiver.clock):
                receiver.bad_signatures += 1
                code = 401
            else:
                receiver.received.append({"headers": dict(self.headers), "body": json.loads(body), "raw": body})
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


@pytest.fixture(scope="module")
def certificate(tmp_path_factory) -> tuple[Path, Path]:
    """A self-signed certificate for hooks.example.org (and that name only), with its key."""
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command is needed to make a test certificate")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    name = ["-subj", "/CN=hooks.example.org", "-addext", "subjectAltName=DNS:hooks.example.org"]
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-keyout", key, "-out", cert, *name],
        check=True,
        capture_output=True,
    )
    return cert, key


@pytest.fixture
def tls_receiver(certificate) -> Iterator[tuple[Receiver, list[str]]]:
    """An HTTPS receiver on 127.0.0.1 holding the hooks.example.org certificate; also the TLS names asked for."""
    names: list[str] = []
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*certificate)

    def remember(_socket, name, _context) -> None:
        names.append(name)

    context.sni_callback = remember
    server = ThreadingHTTPServer(("127.0.0.1", 0), None)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    state = Receiver(url=f"https://hooks.example.org:{server.server_address[1]}/hooks/roster")
    server.RequestHandlerClass = _handler(state)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state, names
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
    def test_signs_the_timestamp_and_the_body(self):
        body = b'{"id":1}'
        header = webhooks.sign("k" * 20, body, 1_700_000_000)
        assert re.fullmatch(r"t=1700000000,v1=[0-9a-f]{64}", header)
        assert verify("k" * 20, body, header, now=1_700_000_000)
        assert webhooks.sign("k" * 20, body, 1_700_000_001) != header  # the timestamp is part of what is signed

    @pytest.mark.parametrize(
        ("secret", "body", "header", "now"),
        [
            ("k" * 20, b'{"id":1} ', "GOOD", 0),  # the body changed
            ("j" * 20, b'{"id":1}', "GOOD", 0),  # another secret
            ("k" * 20, b'{"id":1}', "GOOD", 301),  # replayed more than five minutes later
            ("k" * 20, b'{"id":1}', "GOOD", -301),  # from a clock far ahead
            ("k" * 20, b'{"id":1}', "GOOD+t", 0),  # the timestamp changed, signature kept
            ("k" * 20, b'{"id":1}', "v1 only", 0),
            ("k" * 20, b'{"id":1}', "", 0),
            ("k" * 20, b'{"id":1}', "t=abc,v1=00", 0),
            ("k" * 20, b'{"id":1}', "t=1700000000,v1=\u00e9", 0),
            ("k" * 20, b'{"id":1}', "sha256=00", 0),
        ],
    )
    def test_the_readme_recipe_refuses(self, secret, body, header, now):
        good = webhooks.sign("k" * 20, b'{"id":1}', 1_700_000_000)
        header = {"GOOD": good, "GOOD+t": good.replace("t=1700000000", "t=1700000100"), "v1 only": good[13:]}.get(
            header, header
        )
        assert verify("k" * 20, b'{"id":1}', good, now=1_700_000_000 + now / 2)
        assert not verify(secret, body, header, now=1_700_000_000 + now)

    def test_backoff_doubles_and_is_capped(self):
        assert [webhooks.backoff(n).total_seconds() for n in (1, 2, 3, 4)] == [10, 20, 40, 80]
        assert webhooks.backoff(20) == timedelta(hours=1)


class TestWhereWebhooksGo:
    """Subscriptions name public addresses only, in every environment, unless the operator allows a network."""

    @pytest.mark.parametrize(
        ("url", "words"),
        [
            ("http://127.0.0.1:8080/h", "127.0.0.1, a loopback address"),
            ("http://localhost/h", "localhost resolves to 127.0.0.1, a loopback address"),
            ("http://[::1]/h", "::1, a loopback address"),
            ("http://10.0.0.5/h", "10.0.0.5, a private address"),
            ("http://192.168.1.1/h", "192.168.1.1, a private address"),
            ("http://169.254.169.254/latest/meta-data", "169.254.169.254, the cloud metadata address"),
            ("http://[fd00:ec2::254]/latest", "fd00:ec2::254, the cloud metadata address"),
            ("http://[fe80::1]/h", "fe80::1, a link-local address"),
            ("http://0.0.0.0/h", "0.0.0.0, an unspecified address"),
            ("http://[::]/h", ":: , an unspecified address".replace(" ,", ",")),
            ("http://224.0.0.1/h", "224.0.0.1, a multicast address"),
            ("http://[ff02::1]/h", "ff02::1, a multicast address"),
            ("http://100.64.0.1/h", "100.64.0.1, not a public address"),
            ("http://[::ffff:127.0.0.1]/h", "embeds 127.0.0.1 (IPv4-mapped), a loopback address"),
            ("http://[::127.0.0.1]/h", "embeds 127.0.0.1 (IPv4-compatible), a loopback address"),
            ("http://[::8.8.8.8]/h", "a deprecated IPv4-compatible address"),
            ("http://[64:ff9b::a9fe:a9fe]/h", "embeds 169.254.169.254 (NAT64), the cloud metadata address"),
            ("http://[64:ff9b::7f00:1]/h", "embeds 127.0.0.1 (NAT64), a loopback address"),
            ("http://[64:ff9b:1:a00:1:100::]/h", "embeds 10.0.1.1 (local NAT64), a private address"),
            ("http://[64:ff9b:1:808:8:800::]/h", "a local-use NAT64 address"),
            ("http://[2002:a00:1::1]/h", "embeds 10.0.0.1 (6to4), a private address"),
            ("http://[2001:0:4136:e378:8000:63bf:f5ff:fffe]/h", "embeds 10.0.0.1 (Teredo client), a private address"),
            ("http://nowhere.invalid/h", "cannot resolve nowhere.invalid"),
        ],
    )
    def test_refused_in_development_too(self, strict, auth, url, words):
        response = strict.post("/subscriptions", json={"url": url}, headers=auth("hq"))
        assert response.status_code == 422, response.text
        (detail,) = response.json()["detail"]
        assert detail["field"] == "url" and words in detail["message"], detail["message"]
        assert "ROSTER_WEBHOOK_ALLOWED_NETWORKS" in detail["message"]

    def test_every_address_of_a_name_is_checked(self, strict, auth, webhook_dns):
        webhook_dns["mixed.example.org"] = ["93.184.215.14", "10.9.8.7"]
        response = strict.post("/subscriptions", json={"url": "https://mixed.example.org/h"}, headers=auth("hq"))
        assert response.status_code == 422
        assert "mixed.example.org resolves to 10.9.8.7, a private address" in response.json()["detail"][0]["message"]
        webhook_dns["rebind.example.org"] = ["::ffff:169.254.169.254"]
        response = strict.post("/subscriptions", json={"url": "https://rebind.example.org/h"}, headers=auth("hq"))
        assert "the cloud metadata address" in response.json()["detail"][0]["message"]

    @pytest.mark.parametrize(
        "url",
        ["https://hooks.example.org/h", "http://8.8.8.8/h", "http://[64:ff9b::808:808]/h", "http://[2606:4700::1111]/"],
    )
    def test_public_addresses_are_accepted(self, strict, auth, url):
        assert strict.post("/subscriptions", json={"url": url}, headers=auth("hq")).status_code == 201

    def test_the_allow_list_names_what_may_be_local(self, client, auth):
        hq = auth("hq")
        for url in ("http://127.0.0.1:9/h", "http://[::ffff:127.0.0.1]:9/h", "http://localhost:9/h"):
            assert client.post("/subscriptions", json={"url": url}, headers=hq).status_code == 201, url
        for url in ("http://127.0.0.2:9/h", "http://10.0.0.1/h", "http://[::1]:9/h"):
            assert client.post("/subscriptions", json={"url": url}, headers=hq).status_code == 422, url

    def test_the_setting_reads_a_list_or_json_and_names_a_bad_entry(self, monkeypatch):
        monkeypatch.setenv("ROSTER_WEBHOOK_ALLOWED_NETWORKS", "127.0.0.1/32, 10.0.0.0/8")
        assert Settings().webhook_allowed_networks == ["127.0.0.1/32", "10.0.0.0/8"]
        monkeypatch.setenv("ROSTER_WEBHOOK_ALLOWED_NETWORKS", '["fd00::/8"]')
        assert Settings().webhook_allowed_networks == ["fd00::/8"]
        assert Settings(environment="production", database_url="postgresql+psycopg://x@y/z").webhook_allowed_networks
        monkeypatch.delenv("ROSTER_WEBHOOK_ALLOWED_NETWORKS")
        assert Settings(environment="development").webhook_allowed_networks == []
        monkeypatch.setenv("ROSTER_WEBHOOK_ALLOWED_NETWORKS", "10.0.0.0/8,intranet")
        with pytest.raises(ValueError, match="'intranet' is not an address or a network"):
            Settings()

    def test_an_allowed_network_covers_the_embedded_address(self):
        allowed = targets.networks(["10.0.0.0/8"])
        assert targets.why_not(targets.parse("::ffff:10.1.2.3"), allowed) is None
        assert targets.why_not(targets.parse("64:ff9b::a01:203"), allowed) is None
        assert targets.why_not(targets.parse("10.1.2.3"), allowed) is None
        assert targets.why_not(targets.parse("192.168.0.1"), allowed) == "192.168.0.1, a private address"


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
        assert dispatch(engine, client=http) == 1
        assert receiver.bad_signatures == 0
        (got,) = receiver.received
        assert got["body"]["id"] == event_id and got["body"]["type"] == "offer.accepted"
        assert got["body"]["state"] == "NOR" and got["body"]["entity_id"] == "7"
        assert got["body"]["payload"] == {"deployment_id": 7, "state": "NOR"} and got["body"]["at"]
        (delivery,) = deliveries(engine, sub)
        assert got["headers"]["X-Roster-Event"] == "offer.accepted"
        assert got["headers"]["X-Roster-Delivery"] == str(delivery.id)
        assert re.fullmatch(r"t=\d+,v1=[0-9a-f]{64}", got["headers"]["X-Roster-Signature"])
        assert delivery.status == DeliveryStatus.delivered and delivery.attempts == 1
        assert delivery.last_status_code == 204 and delivery.delivered_at is not None
        assert dispatch(engine, client=http) == 0
        assert len(receiver.received) == 1

    def test_default_client_delivers(self, client, auth, engine, receiver, monkeypatch):
        for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
            monkeypatch.delenv(name, raising=False)
        subscribe(client, auth("hq"), receiver.url)
        emit(engine, "plan.finished", None)
        enqueue(engine)
        assert dispatch(engine) == 1
        assert len(receiver.received) == 1 and receiver.bad_signatures == 0

    def test_a_recorded_delivery_replayed_later_is_refused(self, client, auth, engine, receiver, http):
        subscribe(client, auth("hq"), receiver.url)
        emit(engine, "plan.finished", None)
        enqueue(engine)
        sent = utcnow()
        assert dispatch(engine, client=http, now=sent) == 1
        (got,) = receiver.received
        header = got["headers"]["X-Roster-Signature"]
        assert header.startswith(f"t={int(sent.timestamp())},v1=")
        at = sent.timestamp()
        assert verify(SECRET, got["raw"], header, now=at + 299)
        assert not verify(SECRET, got["raw"], header, now=at + 301)  # the same bytes, replayed five minutes on
        assert not verify(SECRET, got["raw"] + b" ", header, now=at)

    def test_a_retry_is_signed_afresh(self, client, auth, engine, receiver, http):
        subscribe(client, auth("hq"), receiver.url)
        receiver.script = [500]
        emit(engine, "plan.finished", None)
        enqueue(engine)
        start = utcnow()
        dispatch(engine, client=http, now=start)
        receiver.clock = (start + timedelta(minutes=30)).timestamp()
        dispatch(engine, client=http, now=start + timedelta(minutes=30))
        first, second = (r["headers"]["X-Roster-Signature"] for r in receiver.received)
        assert first.startswith(f"t={int(start.timestamp())},")
        assert second.startswith(f"t={int((start + timedelta(minutes=30)).timestamp())},")

    def test_a_target_not_allowed_when_sending_is_refused(self, client, auth, engine, receiver, http):
        sub = subscribe(client, auth("member_state", "NOR"), receiver.url)
        emit(engine, "offer.accepted", "NOR")
        enqueue(engine)
        assert dispatch(engine, client=http, allowed=[]) == 1
        assert receiver.received == []
        (delivery,) = deliveries(engine, sub)
        assert delivery.status == DeliveryStatus.pending and delivery.attempts == 1
        assert delivery.last_error == "refused: 127.0.0.1, a loopback address"

    def test_dns_rebinding_is_refused(self, client, auth, engine, receiver, http, webhook_dns):
        """The name answered a public address at subscription; it answers loopback when sending: nothing goes out."""
        port = receiver.url.split(":")[2].split("/")[0]
        webhook_dns["hooks.example.org"] = ["93.184.215.14"]
        sub = subscribe(client, auth("hq"), f"http://hooks.example.org:{port}/hooks/roster")
        webhook_dns["hooks.example.org"] = ["127.0.0.1"]
        emit(engine, "plan.finished", None)
        enqueue(engine)
        assert dispatch(engine, client=http, allowed=[]) == 1
        assert receiver.received == []
        (delivery,) = deliveries(engine, sub)
        assert delivery.status == DeliveryStatus.pending and delivery.last_status_code is None
        assert delivery.last_error == "refused: hooks.example.org resolves to 127.0.0.1, a loopback address"
        shown = client.get(f"/subscriptions/{sub}/deliveries", headers=auth("hq")).json()["data"][0]
        assert shown["last_error"] == delivery.last_error

    def test_one_bad_address_among_several_refuses_the_send(self, client, auth, engine, receiver, http, webhook_dns):
        port = receiver.url.split(":")[2].split("/")[0]
        sub = subscribe(client, auth("hq"), f"http://hooks.example.org:{port}/h")
        webhook_dns["hooks.example.org"] = ["93.184.215.14", "10.1.2.3"]
        emit(engine, "plan.finished", None)
        enqueue(engine)
        dispatch(engine, client=http)
        (delivery,) = deliveries(engine, sub)
        assert "10.1.2.3, a private address" in delivery.last_error and receiver.received == []

    def test_sends_to_the_checked_address_with_the_host_name(self, client, auth, engine, receiver, http, webhook_dns):
        """hooks.example.org exists only in the stub: the POST reaching the receiver went to the address checked."""
        port = receiver.url.split(":")[2].split("/")[0]
        webhook_dns["hooks.example.org"] = ["127.0.0.1"]
        sub = subscribe(client, auth("hq"), f"http://hooks.example.org:{port}/hooks/roster")
        emit(engine, "plan.finished", None)
        enqueue(engine)
        assert dispatch(engine, client=http) == 1
        (got,) = receiver.received
        assert got["headers"]["Host"] == f"hooks.example.org:{port}"
        assert deliveries(engine, sub)[0].status == DeliveryStatus.delivered

    def test_https_to_the_checked_address_checks_the_certificate_of_the_name(
        self, client, auth, engine, tls_receiver, certificate, webhook_dns
    ):
        receiver, names = tls_receiver
        webhook_dns["hooks.example.org"] = ["127.0.0.1"]
        sub = subscribe(client, auth("hq"), receiver.url)
        emit(engine, "plan.finished", None)
        enqueue(engine)
        with httpx.Client(verify=ssl.create_default_context(cafile=certificate[0]), trust_env=False) as https:
            assert dispatch(engine, client=https) == 1
        (got,) = receiver.received
        assert names == ["hooks.example.org"] and got["headers"]["Host"] == receiver.url.split("/")[2]
        assert deliveries(engine, sub)[0].status == DeliveryStatus.delivered

    def test_https_refuses_a_certificate_of_another_name(
        self, client, auth, engine, tls_receiver, certificate, webhook_dns
    ):
        receiver, names = tls_receiver
        webhook_dns["other.example.org"] = ["127.0.0.1"]
        sub = subscribe(client, auth("hq"), receiver.url.replace("hooks.", "other."))
        emit(engine, "plan.finished", None)
        enqueue(engine)
        with httpx.Client(verify=ssl.create_default_context(cafile=certificate[0]), trust_env=False) as https:
            assert dispatch(engine, client=https) == 1
        assert receiver.received == [] and names == ["other.example.org"]
        (delivery,) = deliveries(engine, sub)
        assert delivery.status == DeliveryStatus.pending and "CERTIFICATE_VERIFY_FAILED" in delivery.last_error
        assert "other.example.org" in delivery.last_error  # checked against the name, not 127.0.0.1

    def test_wrong_secret_is_refused_by_the_receiver(self, client, auth, engine, receiver, http):
        sub = subscribe(client, auth("hq"), receiver.url, secret="another-secret-entirely")
        emit(engine, "plan.finished", None)
        enqueue(engine)
        dispatch(engine, client=http)
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
        assert dispatch(engine, client=http, now=start) == 1
        (failed,) = deliveries(engine, sub)
        assert failed.status == DeliveryStatus.pending and failed.attempts == 1
        assert failed.last_status_code == 500 and failed.last_error == "HTTP 500"
        assert failed.next_attempt_at == start + timedelta(seconds=10)
        shown = client.get(f"/subscriptions/{sub}/deliveries", headers=norway).json()["data"][0]
        assert shown["status"] == "pending" and shown["next_attempt_at"] and shown["last_error"] == "HTTP 500"

        assert dispatch(engine, client=http, now=start + timedelta(seconds=9)) == 0
        assert len(receiver.received) == 1
        assert dispatch(engine, client=http, now=start + timedelta(seconds=11)) == 1
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
            receiver.clock = now.timestamp()
            assert dispatch(engine, client=http, now=now) == 1, attempt
            (delivery,) = deliveries(engine, sub)
            assert delivery.attempts == attempt
            now = delivery.next_attempt_at + timedelta(seconds=1)
        assert delivery.status == DeliveryStatus.failed and delivery.last_status_code == 503
        assert dispatch(engine, client=http, now=now + timedelta(days=1)) == 0
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
        assert dispatch(engine, client=http, now=start) == 1
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
        assert dispatch(engine, client=http) == 1
        (delivery,) = deliveries(engine, sub)
        assert delivery.attempts == 1 and delivery.status == DeliveryStatus.pending
        assert delivery.last_error.startswith("InvalidURL")

    def test_other_states_event_never_reaches_norway(self, client, auth, engine, receiver, http):
        nor = subscribe(client, auth("member_state", "NOR"), receiver.url)
        emit(engine, "deployment.approved", "GHA")
        emit(engine, "deployment.approved", None)
        nor_event = emit(engine, "deployment.approved", "NOR")
        enqueue(engine)
        dispatch(engine, client=http)
        assert [r["body"]["id"] for r in receiver.received] == [nor_event]
        assert {r["body"]["state"] for r in receiver.received} == {"NOR"}
        assert [d.event_id for d in deliveries(engine, nor)] == [nor_event]

    def test_deactivating_stops_pending_deliveries(self, client, auth, engine, receiver, http):
        hq = auth("hq")
        sub = subscribe(client, hq, receiver.url)
        emit(engine, "plan.finished", None)
        enqueue(engine)
        assert client.delete(f"/subscriptions/{sub}", headers=hq).status_code == 204
        assert dispatch(engine, client=http) == 0
        assert receiver.received == []
        (delivery,) = deliveries(engine, sub)
        assert delivery.status == DeliveryStatus.failed and delivery.last_error == "subscription deactivated"

    def test_batch_limits_one_round(self, client, auth, engine, receiver, http):
        subscribe(client, auth("hq"), receiver.url)
        for n in range(3):
            emit(engine, "plan.finished", None, n)
        enqueue(engine)
        assert dispatch(engine, client=http, batch=2) == 2
        assert dispatch(engine, client=http, batch=2) == 1
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
            sent = self._together(lambda: dispatch(engine, client=one), lambda: dispatch(engine, client=two))
        assert sum(sent) == 20
        assert sorted(int(r["body"]["entity_id"]) for r in receiver.received) == list(range(20))
        assert all(d.status == DeliveryStatus.delivered and d.attempts == 1 for d in deliveries(engine, sub))
