"""The event feed (``GET /events``) and webhook subscriptions: cursors, visibility, CRUD and isolation."""

import os

import pytest
from sqlmodel import Session, select

from service.notifications import outbox
from service.platform.tables import AuditEntry, OutboxEvent, Subscription

HOOK = "https://receiver.example.org/roster"


def emit(engine, *events: tuple[str, str | None]) -> list[int]:
    """Write events of (type, state) and return their ids."""
    with Session(engine) as session:
        for n, (type_, state) in enumerate(events):
            outbox.emit(session, type_, state=state, entity="deployment", entity_id=n + 1, payload={"n": n})
        session.commit()
        rows = session.exec(select(OutboxEvent).order_by(OutboxEvent.id)).all()
    return [r.id for r in rows][-len(events) :]


def feed(client, headers, **params) -> dict:
    response = client.get("/events", headers=headers, params=params)
    assert response.status_code == 200, response.text
    return response.json()


class TestEventFeed:
    def test_cursor_pages_oldest_first(self, client, auth, app):
        ids = emit(app.state.engine, *[("deployment.approved", "NOR")] * 5)
        hq = auth("hq")
        first = feed(client, hq, limit=2)
        assert [e["id"] for e in first["data"]] == ids[:2]
        assert first["count"] == 2 and first["next_cursor"] == ids[1]
        second = feed(client, hq, after=first["next_cursor"], limit=2)
        assert [e["id"] for e in second["data"]] == ids[2:4]
        rest = feed(client, hq, after=second["next_cursor"], limit=10)
        assert [e["id"] for e in rest["data"]] == ids[4:]
        empty = feed(client, hq, after=rest["next_cursor"])
        assert empty == {"data": [], "count": 0, "next_cursor": ids[4]}

    def test_event_shape(self, client, auth, app):
        (event_id,) = emit(app.state.engine, ("offer.accepted", "NOR"))
        (event,) = feed(client, auth("hq"))["data"]
        assert event["id"] == event_id and event["type"] == "offer.accepted" and event["state"] == "NOR"
        assert event["entity"] == "deployment" and event["entity_id"] == "1" and event["payload"] == {"n": 0}
        assert event["at"]

    def test_member_state_sees_only_its_own_events(self, client, auth, app):
        ids = emit(
            app.state.engine,
            ("deployment.approved", "NOR"),
            ("deployment.approved", "GHA"),
            ("plan.finished", None),
            ("deployment.cancelled", "NOR"),
        )
        norway = feed(client, auth("member_state", "NOR"))
        assert [e["id"] for e in norway["data"]] == [ids[0], ids[3]]
        assert {e["state"] for e in norway["data"]} == {"NOR"}
        ghana = feed(client, auth("member_state", "GHA"))
        assert [e["id"] for e in ghana["data"]] == [ids[1]]
        for role in ("hq", "planner", "admin"):
            assert [e["id"] for e in feed(client, auth(role))["data"]] == ids, role

    def test_member_state_cursor_skips_hidden_events(self, client, auth, app):
        ids = emit(
            app.state.engine,
            ("deployment.approved", "GHA"),
            ("deployment.approved", "NOR"),
            ("deployment.approved", "GHA"),
        )
        page = feed(client, auth("member_state", "NOR"), after=0)
        assert page["next_cursor"] == ids[1]
        assert feed(client, auth("member_state", "NOR"), after=page["next_cursor"])["data"] == []

    def test_filter_by_type(self, client, auth, app):
        ids = emit(
            app.state.engine, ("offer.accepted", "NOR"), ("offer.declined", "NOR"), ("deployment.cancelled", "NOR")
        )
        page = feed(client, auth("hq"), type=["offer.declined", "deployment.cancelled"])
        assert [e["id"] for e in page["data"]] == ids[1:]

    def test_unknown_type_is_422_with_the_choices(self, client, auth):
        response = client.get("/events?type=offer.eaten", headers=auth("hq"))
        assert response.status_code == 422
        detail = response.json()["detail"][0]
        assert detail["field"] == "type" and "offer.accepted" in detail["message"]

    @pytest.mark.parametrize("cursor", ["-1", "abc", "1.5", "99999999999"])
    def test_bad_cursor_is_422(self, client, auth, cursor):
        response = client.get(f"/events?after={cursor}", headers=auth("hq"))
        assert response.status_code == 422
        assert response.json()["error"] == "validation_error"
        assert response.json()["detail"][0]["field"] == "query.after"

    def test_requires_a_token(self, client):
        assert client.get("/events").status_code == 401


def subscribe(client, headers, **body) -> dict:
    response = client.post("/subscriptions", json={"url": HOOK} | body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


class TestSubscriptionCrud:
    def test_create_shows_the_secret_once(self, client, auth, app):
        norway = auth("member_state", "NOR")
        created = client.post("/subscriptions", json={"url": HOOK, "event_types": ["offer.accepted"]}, headers=norway)
        assert created.status_code == 201
        body = created.json()
        assert created.headers["location"] == f"/subscriptions/{body['id']}"
        assert len(body["secret"]) >= 16
        assert body["role"] == "member_state" and body["state"] == "NOR" and body["active"] is True
        assert body["event_types"] == ["offer.accepted"] and body["url"] == HOOK
        again = client.get(f"/subscriptions/{body['id']}", headers=norway).json()
        assert "secret" not in again and again["id"] == body["id"]
        listed = client.get("/subscriptions", headers=norway).json()
        assert listed["count"] == 1 and "secret" not in listed["data"][0]
        with Session(app.state.engine) as session:
            row = session.get(Subscription, body["id"])
            entry = session.exec(select(AuditEntry).where(AuditEntry.entity == "subscription")).one()
        assert row.secret == body["secret"] and row.token_id == body["token_id"]
        assert entry.action == "create" and "secret" not in entry.after

    def test_given_secret_is_kept_and_generated_ones_differ(self, client, auth, app):
        hq = auth("hq")
        mine = subscribe(client, hq, secret="s" * 16)
        assert mine["secret"] == "s" * 16 and mine["role"] == "hq" and mine["state"] is None
        assert subscribe(client, hq)["secret"] != subscribe(client, hq)["secret"]

    def test_new_subscription_starts_after_existing_events(self, client, auth, app):
        ids = emit(app.state.engine, ("offer.accepted", "NOR"), ("offer.accepted", "NOR"))
        sub = subscribe(client, auth("member_state", "NOR"))
        with Session(app.state.engine) as session:
            assert session.get(Subscription, sub["id"]).cursor == ids[-1]

    @pytest.mark.parametrize(
        ("body", "field", "hint"),
        [
            ({"url": "ftp://example.org/x"}, "url", "http"),
            ({"url": "javascript:alert(1)"}, "url", "http"),
            ({"url": "example.org/hook"}, "url", "https://"),
            ({"url": "https://user:pw@example.org/hook"}, "url", "remove the user name"),
            ({"url": "https://user@example.org/hook"}, "url", "remove the user name"),
            ({"url": "https://exa mple.org/hook"}, "url", "https://"),
            ({"url": "https://example.org:99999/hook"}, "url", "Port out of range"),
            ({"url": "https://example.org/\u0000"}, "url", "not a valid URL"),
            ({"url": "https:example.org"}, "url", "https://"),
            ({"url": "https://example.org/" + "a" * 2000}, "url", "2000"),
            ({"url": HOOK, "event_types": ["offer.eaten"]}, "event_types", "offer.accepted"),
            ({"url": HOOK, "secret": "short"}, "secret", "16"),
            ({"url": HOOK, "secret": "x" * 201}, "secret", "200"),
            ({"url": HOOK, "active": False}, "active", "unknown field"),
            ({}, "url", "required"),
        ],
    )
    def test_bad_payload_is_422_saying_how_to_fix(self, client, auth, body, field, hint):
        response = client.post("/subscriptions", json=body, headers=auth("hq"))
        assert response.status_code == 422, response.text
        detail = response.json()["detail"]
        assert detail[0]["field"] == field and hint in detail[0]["message"], detail

    def test_url_is_stored_trimmed(self, client, auth):
        assert subscribe(client, auth("hq"), url=f"  {HOOK} ")["url"] == HOOK

    def test_duplicate_event_types_are_stored_once(self, client, auth):
        sub = subscribe(client, auth("hq"), event_types=["plan.finished", "plan.finished"])
        assert sub["event_types"] == ["plan.finished"]

    def test_delete_deactivates_and_is_idempotent(self, client, auth, app):
        norway = auth("member_state", "NOR")
        sub = subscribe(client, norway)
        assert client.delete(f"/subscriptions/{sub['id']}", headers=norway).status_code == 204
        assert client.get(f"/subscriptions/{sub['id']}", headers=norway).json()["active"] is False
        assert client.delete(f"/subscriptions/{sub['id']}", headers=norway).status_code == 204
        assert client.get("/subscriptions?active=true", headers=norway).json()["count"] == 0
        assert client.get("/subscriptions?active=false", headers=norway).json()["count"] == 1
        with Session(app.state.engine) as session:
            actions = session.exec(select(AuditEntry.action).where(AuditEntry.entity == "subscription")).all()
        assert sorted(actions) == ["create", "deactivate"]

    def test_missing_subscription_is_404(self, client, auth):
        hq = auth("hq")
        for method, path in (
            ("GET", "/subscriptions/999999"),
            ("DELETE", "/subscriptions/999999"),
            ("GET", "/subscriptions/999999/deliveries"),
        ):
            response = client.request(method, path, headers=hq)
            assert response.status_code == 404 and response.json()["error"] == "not_found", path

    def test_deliveries_start_empty(self, client, auth):
        hq = auth("hq")
        sub = subscribe(client, hq)
        assert client.get(f"/subscriptions/{sub['id']}/deliveries", headers=hq).json() == {"data": [], "count": 0}
        bad = client.get(f"/subscriptions/{sub['id']}/deliveries?status=lost", headers=hq)
        assert bad.status_code == 422


class TestSubscriptionIsolation:
    @pytest.fixture
    def subs(self, client, auth) -> dict[str, int]:
        return {
            "NOR": subscribe(client, auth("member_state", "NOR"))["id"],
            "GHA": subscribe(client, auth("member_state", "GHA"))["id"],
            "HQ": subscribe(client, auth("hq"))["id"],
        }

    def test_lists_hold_only_own_subscriptions(self, client, auth, subs, app):
        def ids(headers):
            response = client.get("/subscriptions", headers=headers)
            assert response.status_code == 200
            return [s["id"] for s in response.json()["data"]]

        assert ids(auth("member_state", "NOR")) == [subs["NOR"]]
        assert ids(auth("member_state", "GHA")) == [subs["GHA"]]
        assert ids(auth("hq")) == [subs["HQ"]]
        assert ids(auth("admin")) == sorted(subs.values())

    def test_same_state_other_token_shares_subscriptions(self, client, subs, app):
        from schemas.enums import Role
        from service.platform.auth import issue_token

        with Session(app.state.engine) as session:
            _, secret = issue_token(session, role=Role.member_state, name="second NOR token", state="NOR")
            session.commit()
        second = {"Authorization": f"Bearer {secret}"}
        assert [s["id"] for s in client.get("/subscriptions", headers=second).json()["data"]] == [subs["NOR"]]
        assert client.delete(f"/subscriptions/{subs['NOR']}", headers=second).status_code == 204

    def test_other_owners_subscription_answers_like_a_missing_one(self, client, auth, subs):
        ghana = auth("member_state", "GHA")
        for victim in ("NOR", "HQ"):
            for suffix in ("", "/deliveries"):
                other = client.get(f"/subscriptions/{subs[victim]}{suffix}", headers=ghana)
                missing = client.get(f"/subscriptions/999999{suffix}", headers=ghana)
                assert other.status_code == missing.status_code == 404
                assert other.json()["detail"].replace(str(subs[victim]), "N") == missing.json()["detail"].replace(
                    "999999", "N"
                )
            assert client.delete(f"/subscriptions/{subs[victim]}", headers=ghana).status_code == 404
        assert client.get(f"/subscriptions/{subs['GHA']}", headers=auth("hq")).status_code == 404
        norway = auth("member_state", "NOR")
        assert client.get(f"/subscriptions/{subs['NOR']}", headers=norway).json()["active"] is True
        assert client.get(f"/subscriptions/{subs['HQ']}", headers=auth("hq")).json()["active"] is True

    @pytest.mark.parametrize(
        ("role", "method", "suffix", "expected"),
        [
            ("none", "GET", "", 401),
            ("none", "POST", "", 401),
            ("none", "GET", "/{id}", 401),
            ("none", "DELETE", "/{id}", 401),
            ("none", "GET", "/{id}/deliveries", 401),
            ("planner", "GET", "", 403),
            ("planner", "POST", "", 403),
            ("planner", "GET", "/{id}", 403),
            ("planner", "DELETE", "/{id}", 403),
            ("planner", "GET", "/{id}/deliveries", 403),
            ("admin", "GET", "", 200),
            ("admin", "POST", "", 403),
            ("admin", "GET", "/{id}", 200),
            ("admin", "DELETE", "/{id}", 403),
            ("admin", "GET", "/{id}/deliveries", 200),
            ("hq", "GET", "/{id}", 200),
            ("hq", "GET", "/{id}/deliveries", 200),
            ("hq", "DELETE", "/{id}", 204),
            ("hq", "POST", "", 201),
        ],
    )
    def test_role_statuses(self, client, auth, subs, role, method, suffix, expected):
        headers = {} if role == "none" else auth(role)
        path = "/subscriptions" + suffix.format(id=subs["HQ"])
        response = client.request(method, path, headers=headers, json={"url": HOOK} if method == "POST" else None)
        assert response.status_code == expected, response.text
        if expected in (401, 403):
            assert response.json()["error"] in ("unauthorized", "forbidden") and response.json()["detail"]


@pytest.mark.skipif(
    not os.environ.get("ROSTER_TEST_DATABASE_URL"),
    reason="PostgreSQL only: SQLite serialises writers, so its event ids follow commit order",
)
def test_a_poller_never_skips_an_event_that_commits_late(client, auth, engine):
    """Ids are taken at insert: event 1's transaction may commit after event 2's. Hold 2 back until then."""
    from service.notifications.outbox import emit

    planner = auth("planner")
    slow = Session(engine)
    emit(slow, "plan.finished", state=None, entity="plan", entity_id=1, payload={})
    slow.flush()  # takes the smaller id, not committed yet
    with Session(engine) as fast:
        emit(fast, "plan.finished", state=None, entity="plan", entity_id=2, payload={})
        fast.commit()
    first = client.get("/events?after=0", headers=planner).json()
    assert first["data"] == [] and first["next_cursor"] == 0
    slow.commit()
    slow.close()
    second = client.get("/events?after=0", headers=planner).json()
    assert [e["entity_id"] for e in second["data"]] == ["1", "2"]


@pytest.mark.skipif(
    not os.environ.get("ROSTER_TEST_DATABASE_URL"),
    reason="PostgreSQL only: a server holds several databases, SQLite files do not share transactions",
)
def test_a_write_left_open_in_another_database_does_not_delay_events(client, auth, engine):
    """Only this database's transactions can still commit events here; a neighbour's long write must not hold them."""
    import uuid

    from sqlalchemy import create_engine, make_url, text

    server = make_url(os.environ["ROSTER_TEST_DATABASE_URL"])
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    name = f"roster_neighbour_{uuid.uuid4().hex[:12]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    neighbour = create_engine(server.set(database=name))
    try:
        with neighbour.connect() as other:
            other.execute(text("CREATE TABLE scratch (n int)"))
            other.execute(text("INSERT INTO scratch VALUES (1)"))  # holds a transaction id, left uncommitted
            assert other.execute(text("SELECT pg_current_xact_id_if_assigned()")).scalar() is not None
            (event_id,) = emit(engine, ("plan.finished", None))
            page = feed(client, auth("planner"))
            assert [e["id"] for e in page["data"]] == [event_id] and page["next_cursor"] == event_id
            other.rollback()
    finally:
        neighbour.dispose()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.mark.skipif(
    not os.environ.get("ROSTER_TEST_DATABASE_URL"),
    reason="PostgreSQL only: SQLite serialises writers, so its event ids follow commit order",
)
def test_an_open_transaction_that_writes_no_event_does_not_delay_events(client, auth, engine):
    """Only a transaction that has begun writing events can still commit a smaller id; others do not count."""
    from sqlalchemy import text

    with engine.connect() as other:
        other.execute(text("UPDATE skill SET name = name"))  # a write left open, with an older transaction id
        assert other.execute(text("SELECT pg_current_xact_id_if_assigned()")).scalar() is not None
        emit(engine, ("plan.finished", None))
        assert [e["entity_id"] for e in feed(client, auth("planner"))["data"]] == ["1"]
        other.rollback()


@pytest.mark.skipif(
    not os.environ.get("ROSTER_TEST_DATABASE_URL"),
    reason="PostgreSQL only: SQLite serialises writers, so its event ids follow commit order",
)
def test_a_poller_never_skips_an_event_whose_transaction_began_later_but_commits_last(client, auth, engine):
    """Transaction ids do not follow event ids: an older transaction may take the larger event id.

    ``early`` has a transaction id first, ``late`` takes the smaller event id, ``early`` the larger and
    commits. A cut by transaction ids shows ``early``'s event (no older transaction runs) and the
    poller moves past ``late``'s id, which commits afterwards and is never seen.
    """
    from sqlalchemy import text

    from service.notifications.outbox import emit

    planner = auth("planner")
    early, late = Session(engine), Session(engine)
    early.execute(text("SELECT pg_current_xact_id()"))  # began writing first
    emit(late, "plan.finished", state=None, entity="plan", entity_id="late", payload={})
    late.flush()  # the smaller event id, not committed yet
    emit(early, "plan.finished", state=None, entity="plan", entity_id="early", payload={})
    early.commit()
    early.close()
    first = client.get("/events?after=0", headers=planner).json()
    late.commit()
    late.close()
    rest = client.get(f"/events?after={first['next_cursor']}", headers=planner).json()
    seen = [e["entity_id"] for e in first["data"] + rest["data"]]
    assert sorted(seen) == ["early", "late"], (first, rest)


@pytest.mark.skipif(
    not os.environ.get("ROSTER_TEST_DATABASE_URL"),
    reason="PostgreSQL only: the writers' advisory locks exist there alone",
)
def test_a_writer_holds_one_lock_however_many_events_it_writes(engine):
    """One lock per transaction: a lock per event would fill the server's lock table on a large approval."""
    from sqlalchemy import text

    from service.notifications.outbox import WRITER_LOCKS, emit

    held = (
        "SELECT count(*) FROM pg_locks"
        f" WHERE locktype = 'advisory' AND classid = {WRITER_LOCKS} AND pid = pg_backend_pid()"
    )
    with Session(engine) as session:
        for n in range(5):
            emit(session, "plan.finished", state=None, entity="plan", entity_id=n, payload={})
            session.flush()  # each event takes its id: the sequence moves between emits
        assert session.execute(text(held)).scalar_one() == 1
        session.commit()
        assert session.execute(text(held)).scalar_one() == 0
        emit(session, "plan.finished", state=None, entity="plan", entity_id=9, payload={})
        assert session.execute(text(held)).scalar_one() == 1  # the next transaction announces itself again
        session.rollback()
