"""Every kind of bad input answers a 4xx that names the field and the fix, and changes nothing."""

import logging
from datetime import timedelta

import psycopg
import pytest
from sqlalchemy import event, func, update
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, select

from service.offers import repository as offers_repo
from service.planning import worker
from service.platform.errors import Invalid, Sparse
from service.platform.idempotency import purge
from service.platform.tables import ApiToken, IdempotencyRecord, utcnow
from service.reference.repository import check
from tests.service import factories


def _fields(response) -> list[str]:
    return [d["field"] for d in response.json()["detail"]]


def _message(response) -> str:
    return " ".join(d["message"] for d in response.json()["detail"])


BAD_EXPERTS = [
    ("unknown skill", {"skills": [{"code": "NO-SUCH-SKILL", "proficiency": 3}]}, "skills", "GET /reference/skills"),
    ("unknown nationality", {"nationality": "XXX"}, "nationality", "ISO3"),
    ("proficiency above 5", {"skills": [{"code": "SSR-STRATEGY", "proficiency": 6}]}, "skills.0.proficiency", "5"),
    ("proficiency below 1", {"skills": [{"code": "SSR-STRATEGY", "proficiency": 0}]}, "skills.0.proficiency", "1"),
    ("unknown language", {"languages": [{"code": "zz", "level": 3}]}, "languages.0.code", "ISO 639-1"),
    (
        "window end before start",
        {"availability": [{"start": "2027-05-01", "end": "2027-01-01"}]},
        "availability.0",
        "swap",
    ),
    ("unknown grade", {"grade": "P-9"}, "grade", "P-4"),
    ("unknown field", {"shoe_size": 44}, "shoe_size", "unknown field"),
    ("missing name", {"full_name": None}, "full_name", ""),
    ("skill twice", {"skills": [{"code": "SSR-STRATEGY", "proficiency": 3}] * 2}, "body", "more than once"),
    ("bad category", {"category": "navy"}, "category", "civilian"),
]


@pytest.mark.parametrize("case", BAD_EXPERTS, ids=lambda c: c[0])
def test_bad_expert(client, auth, case):
    _, override, field, hint = case
    response = client.post("/experts", json=factories.expert(**override), headers=auth("hq"))
    assert response.status_code == 422, response.text
    assert response.json()["error"] == "validation_error"
    assert any(f.startswith(field) for f in _fields(response)), _fields(response)
    assert hint in _message(response)
    assert client.get("/experts", headers=auth("hq")).json()["count"] == 0


BAD_POSITIONS = [
    ("end before start", {"start_date": "2027-06-01", "end_date": "2027-01-01"}, "swap"),
    ("count below 1", {"count": 0}, "greater than or equal to 1"),
    ("ratio above trainees", {"trainees": 20, "trainer_ratio": 29}, "exceeds trainees"),
    ("ratio without trainees", {"trainer_ratio": 29}, "needs trainees"),
    ("count contradicts ratio", {"trainees": 290, "trainer_ratio": 29, "count": 3}, "need 10 trainers"),
    ("ratio zero", {"trainees": 290, "trainer_ratio": 0}, "greater than or equal to 1"),
    ("grades reversed", {"grade_min": "P-5", "grade_max": "P-3"}, "swap"),
    ("group rule without group", {"all_or_nothing": True}, "group"),
    ("unknown required skill", {"required_skills": [{"code": "NOPE", "min_proficiency": 2}]}, "unknown skill"),
]


@pytest.mark.parametrize("case", BAD_POSITIONS, ids=lambda c: c[0])
def test_bad_position(client, auth, case):
    _, override, hint = case
    body = factories.capacity_request(positions=[factories.position(**override)])
    response = client.post("/requests", json=body, headers=auth("hq"))
    assert response.status_code == 422, response.text
    assert hint in _message(response), _message(response)
    assert all(f.startswith(("positions", "body")) for f in _fields(response))
    assert client.get("/requests", headers=auth("hq")).json()["count"] == 0


def test_bad_position_update_changes_nothing(client, auth):
    hq = auth("hq")
    request = client.post("/requests", json=factories.capacity_request(), headers=hq).json()
    position = request["positions"][0]
    path = f"/requests/{request['id']}/positions/{position['id']}"
    response = client.patch(path, json={"end_date": "2026-01-01"}, headers=hq)
    assert response.status_code == 422 and "swap" in _message(response)
    assert client.get(path, headers=hq).json() == position


@pytest.mark.parametrize(
    "override, field, hint",
    [
        ({"mission": "NOPE"}, "mission", "GET /reference/missions"),
        ({"mission": "UNAMID"}, "mission", "closed"),
        ({"priority": 9}, "priority", "5"),
        ({"level": "galactic"}, "level", "strategic"),
    ],
)
def test_bad_request(client, auth, override, field, hint):
    response = client.post("/requests", json=factories.capacity_request(**override), headers=auth("hq"))
    assert response.status_code == 422 and field in _fields(response) and hint in _message(response)


@pytest.mark.parametrize(
    "override, field, hint",
    [
        ({"available_from": "2027-12-01", "available_to": "2027-01-01"}, "body", "swap"),
        ({"excluded_missions": ["NOWHERE"]}, "excluded_missions", "unknown mission"),
        ({"excluded_states": ["ZZZ"]}, "excluded_states", "unknown Member State"),
        ({"slots": 0}, "slots", "greater than or equal to 1"),
        ({"expires_on": "2020-01-01"}, "expires_on", "past"),
        ({"status": "accepted"}, "status", "planners accept"),
        ({"readiness": "maybe"}, "readiness", "rapid_deployment"),
    ],
)
def test_bad_offer(client, auth, override, field, hint):
    response = client.post("/offers", json=factories.offer(**override), headers=auth("member_state", "NOR"))
    assert response.status_code == 422, response.text
    assert field in _fields(response) and hint in _message(response)


def test_malformed_json(client, auth):
    headers = auth("hq") | {"Content-Type": "application/json"}
    response = client.post("/experts", content=b'{"full_name": "x",', headers=headers)
    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == "body" and "malformed JSON" in _message(response)


def test_body_over_the_limit(client, auth):
    huge = factories.expert(full_name="x" * 2_000_000)
    response = client.post("/experts", json=huge, headers=auth("hq"))
    assert response.status_code == 413 and "exceeds" in response.json()["detail"]


@pytest.mark.parametrize(
    "query, field",
    [
        ("skill=NOPE", "skill"),
        ("skill=SSR-STRATEGY:9", "skill"),
        ("available_from=2027-05-01&available_to=2027-01-01", "available_to"),
        ("limit=0", "limit"),
        ("limit=abc", "limit"),
        ("offset=-1", "offset"),
        ("category=navy", "category"),
    ],
)
def test_bad_filters(client, auth, query, field):
    response = client.get(f"/experts?{query}", headers=auth("planner"))
    assert response.status_code == 422 and any(f.endswith(field) for f in _fields(response)), response.text


@pytest.mark.parametrize("path", ["/experts/0", "/experts/99999999999999999999", "/offers/2147483648"])
def test_bad_ids(client, auth, path):
    """Whole numbers out of range; a segment that is no number names no resource (404: test_contract.py)."""
    assert client.get(path, headers=auth("hq")).status_code == 422


def test_nul_characters_and_injection_are_inert(client, auth):
    hq = auth("hq")
    for q in ("\x00", "' OR 1=1 --", "{{7*7}}", "%"):
        response = client.get("/experts", params={"q": q}, headers=hq)
        assert response.status_code in (200, 422), response.text
        if response.status_code == 200:
            assert response.json()["count"] == 0
    stored = client.post("/experts", json=factories.expert(full_name="Robert'); DROP TABLE expert;--"), headers=hq)
    assert stored.status_code == 201
    assert client.get("/experts", headers=hq).json()["data"][0]["full_name"] == "Robert'); DROP TABLE expert;--"
    nul = client.post("/experts", json=factories.expert(full_name="A\x00B"), headers=hq)
    assert nul.status_code in (201, 422)


class TestDuplicates:
    def test_same_email(self, client, auth):
        body = factories.expert()
        assert client.post("/experts", json=body, headers=auth("hq")).status_code == 201
        again = client.post("/experts", json=body | {"full_name": "Someone else"}, headers=auth("hq"))
        assert again.status_code == 409 and body["email"] in again.json()["detail"]

    def test_same_national_id(self, client, auth):
        client.post("/experts", json=factories.expert(national_id="A123"), headers=auth("hq"))
        again = client.post("/experts", json=factories.expert(national_id="A123"), headers=auth("hq"))
        assert again.status_code == 409 and "A123" in again.json()["detail"]

    def test_same_offer_title(self, client, auth):
        norway = auth("member_state", "NOR")
        body = factories.offer()
        assert client.post("/offers", json=body, headers=norway).status_code == 201
        assert client.post("/offers", json=body, headers=norway).status_code == 409
        ghana = client.post("/offers", json=body, headers=auth("member_state", "GHA"))
        assert ghana.status_code == 201  # titles are unique per state

    def test_same_request_title(self, client, auth):
        body = factories.capacity_request()
        assert client.post("/requests", json=body, headers=auth("hq")).status_code == 201
        assert client.post("/requests", json=body, headers=auth("hq")).status_code == 409

    def test_same_reference_codes(self, client, auth):
        skill = {"code": "SSR-STRATEGY", "name": "x", "area": "x", "levels": ["strategic"]}
        assert client.post("/reference/skills", json=skill, headers=auth("admin")).status_code == 409
        mission = {"code": "MINUSCA", "name": "x", "host_states": ["CAF"]}
        assert client.post("/reference/missions", json=mission, headers=auth("admin")).status_code == 409


class TestETag:
    def test_stale_if_match_fails_and_changes_nothing(self, client, auth):
        hq = auth("hq")
        created = client.post("/experts", json=factories.expert(), headers=hq)
        path, first = f"/experts/{created.json()['id']}", created.headers["etag"]
        ok = client.patch(path, json={"notice_days": 11}, headers=hq | {"If-Match": first})
        assert ok.status_code == 200 and ok.headers["etag"] != first
        stale = client.patch(path, json={"notice_days": 99}, headers=hq | {"If-Match": first})
        assert stale.status_code == 412 and ok.headers["etag"] in stale.json()["detail"]
        assert client.get(path, headers=hq).json()["notice_days"] == 11
        assert client.delete(path, headers=hq | {"If-Match": first}).status_code == 412
        assert client.get(path, headers=hq).status_code == 200

    @pytest.mark.parametrize("kind", ["offer", "request", "position"])
    def test_other_resources(self, client, auth, kind):
        hq, norway = auth("hq"), auth("member_state", "NOR")
        if kind == "offer":
            created = client.post("/offers", json=factories.offer(), headers=norway)
            path, headers, change = f"/offers/{created.json()['id']}", norway, {"slots": 5}
        else:
            created = client.post("/requests", json=factories.capacity_request(), headers=hq)
            path, headers, change = f"/requests/{created.json()['id']}", hq, {"priority": 4}
            if kind == "position":
                path += f"/positions/{created.json()['positions'][0]['id']}"
                created = client.get(path, headers=hq)
                change = {"count": 2}
        etag = created.headers["etag"]
        assert client.patch(path, json=change, headers=headers | {"If-Match": etag}).status_code == 200
        assert client.patch(path, json=change, headers=headers | {"If-Match": etag}).status_code == 412


class TestIdempotency:
    def test_replay_returns_first_result_and_creates_nothing(self, client, auth):
        headers = auth("hq") | {"Idempotency-Key": "abc-1"}
        body = factories.expert()
        first = client.post("/experts", json=body, headers=headers)
        second = client.post("/experts", json=body, headers=headers)
        assert first.status_code == second.status_code == 201
        assert second.json() == first.json() and second.headers["idempotent-replayed"] == "true"
        assert client.get("/experts", headers=auth("hq")).json()["count"] == 1

    def test_same_key_other_body_is_refused(self, client, auth):
        headers = auth("hq") | {"Idempotency-Key": "abc-2"}
        assert client.post("/experts", json=factories.expert(), headers=headers).status_code == 201
        reused = client.post("/experts", json=factories.expert(), headers=headers)
        assert reused.status_code == 422 and "new key" in reused.json()["detail"]
        assert client.get("/experts", headers=auth("hq")).json()["count"] == 1

    def test_keys_are_per_token_and_failures_free_the_key(self, client, auth):
        body = factories.offer()
        bad = client.post(
            "/offers", json=body | {"slots": 0}, headers=auth("member_state", "NOR") | {"Idempotency-Key": "k"}
        )
        assert bad.status_code == 422
        good = client.post("/offers", json=body, headers=auth("member_state", "NOR") | {"Idempotency-Key": "k"})
        other = client.post("/offers", json=body, headers=auth("member_state", "GHA") | {"Idempotency-Key": "k"})
        assert good.status_code == other.status_code == 201
        assert good.json()["state"] == "NOR" and other.json()["state"] == "GHA"

    def test_a_revoked_token_replaying_its_key_gets_401_not_the_stored_answer(self, client, auth, app):
        """The issue saw a revoked token replay an old POST and get the stored 201 with the expert's national id."""
        headers = auth("member_state", "NOR") | {"Idempotency-Key": "before-revocation"}
        body = factories.expert(nationality="NOR", national_id="NOR-555")
        assert client.post("/experts", json=body, headers=headers).status_code == 201
        with Session(app.state.engine) as session:
            token_id = session.exec(select(ApiToken.id).where(ApiToken.state == "NOR")).one()
        assert client.delete(f"/tokens/{token_id}", headers=auth("admin")).status_code == 200
        replay = client.post("/experts", json=body, headers=headers)
        assert replay.status_code == 401 and "NOR-555" not in replay.text
        assert "idempotent-replayed" not in replay.headers

    def test_a_stored_answer_expires_and_the_key_is_free_again(self, client, auth, app):
        hq = auth("hq") | {"Idempotency-Key": "yesterday"}
        first = client.post("/experts", json=factories.expert(), headers=hq)
        kept = app.state.settings.idempotency_keep_hours
        _age_records(app, timedelta(hours=kept, minutes=1))
        other = client.post("/experts", json=factories.expert(), headers=hq)  # another body: no longer "reused"
        assert first.status_code == other.status_code == 201 and other.json()["id"] != first.json()["id"]
        assert "idempotent-replayed" not in other.headers
        assert client.post("/experts", json=factories.expert(), headers=hq).status_code == 422  # kept afresh

    def test_the_worker_purges_answers_past_their_time_and_only_those(self, client, auth, app):
        for key in ("old-1", "old-2"):
            client.post("/experts", json=factories.expert(), headers=auth("hq") | {"Idempotency-Key": key})
        _age_records(app, timedelta(hours=25))
        client.post("/experts", json=factories.expert(), headers=auth("hq") | {"Idempotency-Key": "new"})
        with Session(app.state.engine) as session:
            assert purge(session, 24) == 2 and purge(session, 24) == 0
            assert session.exec(select(IdempotencyRecord.key)).all() == ["new"]
        _age_records(app, timedelta(hours=25))
        worker._last_purge.pop(app.state.engine, None)
        worker.tick(app.state.engine, "test", 30, 30, keep_answers_hours=24)
        with Session(app.state.engine) as session:
            assert session.exec(select(func.count()).select_from(IdempotencyRecord)).one() == 0


def _age_records(app, by: timedelta) -> None:
    """Every kept answer made older, as if that time had passed."""
    with Session(app.state.engine) as session:
        session.exec(update(IdempotencyRecord).values(created_at=utcnow() - by))
        session.commit()


def test_spreadsheet_uploads_may_be_larger_than_other_bodies(client, auth):
    hq = auth("hq")
    big_csv = b"full_name,shoe_size\n" + (b"x" * 1_600 + b",1\n") * 1_000  # 1.6 MB: over the JSON limit only
    response = client.post("/experts/import", files={"file": ("big.csv", big_csv, "text/csv")}, headers=hq)
    assert response.status_code == 422 and "shoe_size" in response.text
    huge = b"full_name\n" + b"x" * 17_000_000
    response = client.post("/experts/import", files={"file": ("huge.csv", huge, "text/csv")}, headers=hq)
    assert response.status_code == 413


def test_reference_codes_are_looked_up_in_one_query_and_the_first_wrong_field_is_named(engine):
    statements = []
    event.listen(engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    wanted = [
        ("state", "state", ["NOR", None]),
        ("skills", "skill", ["SSR-STRATEGY", "NO-SUCH-SKILL"]),
        ("excluded_missions", "mission", ["NOWHERE"]),
    ]
    with Session(engine) as session:
        with pytest.raises(Invalid) as raised:
            check(session, *wanted)
        check(session, *wanted[:1], ("skills", "skill", ["SSR-STRATEGY"]), ("nothing", "mission", []))
    assert raised.value.detail == [
        {"field": "skills", "message": "unknown skill code(s) NO-SUCH-SKILL: see GET /reference/skills for valid codes"}
    ]
    assert len([s for s in statements if s.startswith("SELECT")]) == 2  # one per check, whatever the number of fields


def test_a_state_cannot_have_two_offers_with_one_title(client, auth):
    nor = auth("member_state", "NOR")
    taken = "NOR already has an offer titled 'Police advisers': renew or update that one"
    assert client.post("/offers", json=factories.offer(title="Police advisers"), headers=nor).status_code == 201
    again = client.post("/offers", json=factories.offer(title="Police advisers"), headers=nor)
    assert again.status_code == 409 and again.json() == {"error": "conflict", "detail": taken}
    other = client.post("/offers", json=factories.offer(title="Formed units"), headers=nor).json()
    renamed = client.patch(f"/offers/{other['id']}", json={"title": "Police advisers"}, headers=nor)
    assert renamed.status_code == 409 and renamed.json()["detail"] == taken
    assert client.get(f"/offers/{other['id']}", headers=nor).json() == other  # unchanged
    titles = [o["title"] for o in client.get("/offers", headers=nor).json()["data"]]
    assert sorted(titles) == ["Formed units", "Police advisers"]
    another_state = client.post(
        "/offers", json=factories.offer(title="Police advisers", state="SEN"), headers=auth("hq")
    )
    assert another_state.status_code == 201


@pytest.mark.parametrize(
    "cause, status, error",
    [
        (psycopg.errors.DeadlockDetected("deadlock detected"), 409, "conflict"),
        (psycopg.errors.SerializationFailure("could not serialize access due to concurrent update"), 409, "conflict"),
        (psycopg.OperationalError("connection refused"), 503, "service_unavailable"),
    ],
)
def test_a_transaction_the_database_undid_is_a_conflict_to_send_again_not_an_outage(
    client, auth, monkeypatch, caplog, cause, status, error
):
    def failing(*_args):
        raise OperationalError("SELECT offer.id FROM offer", {}, cause)

    monkeypatch.setattr(offers_repo, "list_offers", failing)
    with caplog.at_level(logging.WARNING, logger="roster"):
        answer = client.get("/offers", headers=auth("planner"))
    assert answer.status_code == status and answer.json()["error"] == error, answer.text
    assert ("send it again" in answer.json()["detail"]) == (status == 409) and answer.headers["retry-after"]
    logged = [r.getMessage() for r in caplog.records if r.name == "roster"]
    said = "the database undid the transaction" if status == 409 else "database unreachable"
    assert logged == [f"GET /offers: {said} ({type(cause).__name__}), answered {status}"]


def test_an_outage_is_logged_once_in_a_while_not_once_a_request(client, auth, monkeypatch, caplog):
    def failing(*_args):
        raise OperationalError("SELECT offer.id FROM offer", {}, psycopg.OperationalError("connection refused"))

    monkeypatch.setattr(offers_repo, "list_offers", failing)
    with caplog.at_level(logging.WARNING, logger="roster"):
        answers = [client.get("/offers", headers=auth("planner")).status_code for _ in range(3)]
    assert answers == [503] * 3
    assert [r.getMessage() for r in caplog.records if r.name == "roster"] == [
        "GET /offers: database unreachable (OperationalError), answered 503"
    ]


def test_sparse_warnings_say_how_many_were_left_out(caplog):
    now = [100.0]
    sparse = Sparse(seconds=10, clock=lambda: now[0])
    with caplog.at_level(logging.WARNING, logger="roster"):
        for at in (100.0, 101.0, 109.9, 110.0, 125.0):
            now[0] = at
            sparse.warning("%s down", "db")
    assert [r.getMessage() for r in caplog.records] == [
        "db down",
        "db down (2 more like it since the last line)",
        "db down",
    ]
