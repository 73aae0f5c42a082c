"""Erasure of one person everywhere (issue 23): after it, no table of the database holds the person's name,
e-mail or national id, while plans, deployments and nominations stay as many and as linked as before."""

import json

import pytest
import sqlalchemy as sa
from sqlalchemy import MetaData, func, select, text
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, SQLModel
from sqlmodel.sql.sqltypes import AutoString

import service.platform.tables  # noqa: F401  (the models, on SQLModel's metadata)
from service.notifications import webhooks
from service.planning import jobs
from service.platform.tables import Deployment, Expert
from service.privacy.erasure import NOT_COPIES, PLACES, erase
from service.privacy.scrub import ERASED, Person, Scrubber
from tests.service import factories

NAME, EMAIL, NATIONAL_ID = "Zéphyrine Quillfeather-Oyelaran", "zq.oyelaran@example.org", "NOR-7741-QZ"
TODAY = "2027-01-04"
pytestmark = pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index")


def _forms(value: str) -> set[str]:
    """How a value can sit in a table's text: as written, and as JSON escapes it."""
    return {value.lower(), json.dumps(value)[1:-1].lower()}


def _dump(engine) -> str:
    """Every column of every row of every table in the database, as the database's text (JSON as stored)."""
    meta = MetaData()
    meta.reflect(engine)
    with engine.connect() as connection:
        return "\n".join(
            f"{table.name}: {tuple(row)}"
            for table in meta.sorted_tables
            for row in connection.execute(select(*(sa.cast(c, sa.Text) for c in table.columns))).all()
        ).lower()


def _counts(engine) -> dict[str, int]:
    with engine.connect() as connection:
        return {
            name: connection.execute(select(func.count()).select_from(text(name))).scalar_one()
            for name in ("expert", "plan", "plan_assignment", "plan_unfilled", "deployment", "nomination", "delivery")
        }


def _expert(client, headers, **overrides) -> dict:
    body = factories.expert_in(2027, **({"nationality": "NOR"} | overrides))
    made = client.post("/experts", json=body, headers=headers)
    assert made.status_code == 201, made.text
    return made.json()


@pytest.fixture
def person(client, auth, engine) -> dict:
    """Norway's expert, through an update, a plan approved into a deployment, a nomination, an event for a
    webhook and an idempotent POST: the person's values copied wherever the service copies them."""
    norway, hq, planner = auth("member_state", "NOR"), auth("hq"), auth("planner")
    held = factories.credentials(*factories.HELD, expires_on="2032-12-31")
    held[0]["verified_by"] = f"{NAME} (self-declared)"
    body = factories.expert_in(2027, full_name=NAME, email=EMAIL, national_id=NATIONAL_ID, nationality="NOR")
    body["credentials"] = held
    made = client.post("/experts", json=body, headers=norway | {"Idempotency-Key": "erasure-test-1"})
    assert made.status_code == 201, made.text
    expert = made.json()
    changed = client.patch(f"/experts/{expert['id']}", json={"grade": "P-5"}, headers=norway)
    assert changed.status_code == 200, changed.text
    assert client.post("/subscriptions", json={"url": "https://hooks.example.org/h"}, headers=hq).status_code == 201

    two_seats = factories.capacity_request(positions=[factories.position(count=2)])
    request = client.post("/requests", json=two_seats, headers=hq).json()
    position = request["positions"][0]
    queued = client.post("/plans", json={"today": TODAY, "workers": 1}, headers=planner).json()
    assert jobs.work_once(engine, "test-worker") == queued["id"]
    (proposed,) = client.get(f"/plans/{queued['id']}/assignments", headers=planner).json()["data"]
    assert proposed["supplier"]["name"] == NAME
    approved = client.post(f"/plans/{queued['id']}/review", json={"approve": [proposed["id"]]}, headers=planner)
    assert approved.status_code == 200, approved.text

    call = factories.call(engine, request["id"], [position["id"]])
    nominated = client.post(
        f"/calls/{call}/nominations",
        json={"position_id": position["id"], "expert_id": expert["id"], "note": f"{NAME} <{EMAIL}>, id {NATIONAL_ID}"},
        headers=norway,
    )
    assert nominated.status_code == 201, nominated.text
    with Session(engine) as session:
        webhooks.enqueue(session)
        session.commit()
    assert client.get(f"/experts/{expert['id']}", headers=norway).json()["full_name"] == NAME  # now in the cache
    return expert


def test_an_erased_person_is_nowhere_in_the_database(client, auth, engine, person):
    dump = _dump(engine)
    assert all(_forms(value) & {form for form in _forms(value) if form in dump} for value in (NAME, EMAIL, NATIONAL_ID))
    counts = _counts(engine)
    assert counts["deployment"] == counts["nomination"] == 1

    asked = {"expert_id": person["id"], "reason": "asked"}
    erased = client.post("/privacy/erasures", json=asked, headers=auth("admin"))

    assert erased.status_code == 201, erased.text
    assert erased.json()["status"] == "done" and erased.json()["pseudonym"] == f"Erased person E{person['id']}"
    dump = _dump(engine)
    for value in (NAME, EMAIL, NATIONAL_ID):
        assert not [form for form in _forms(value) if form in dump], value
    assert _counts(engine) == counts
    with Session(engine) as session:
        deployment = session.exec(select(Deployment)).scalars().one()
        assert deployment.expert_id == person["id"]
        expert = session.get(Expert, person["id"])
        assert (expert.email, expert.national_id, expert.active) == (None, None, False)
    seen = client.get(f"/experts/{person['id']}", headers=auth("member_state", "NOR")).json()
    assert (seen["full_name"], seen["email"], seen["national_id"]) == (f"Erased person E{person['id']}", None, None)
    deployments = client.get("/deployments", headers=auth("planner")).json()["data"]
    assert [d["supplier"]["name"] for d in deployments] == [f"Erased person E{person['id']}"]
    audit = client.get("/audit", params={"entity": "expert", "action": "erase"}, headers=auth("admin")).json()
    assert audit["count"] == 1 and audit["data"][0]["entity_id"] == str(person["id"])


def test_a_state_asks_and_hq_approves_when_the_expert_was_deployed(client, auth, engine, person):
    norway, hq = auth("member_state", "NOR"), auth("hq")
    asked = client.post("/privacy/erasures", json={"expert_id": person["id"], "reason": "asked"}, headers=norway)
    assert asked.status_code == 202, asked.text
    assert asked.json()["status"] == "pending"
    assert client.get(f"/experts/{person['id']}", headers=norway).json()["full_name"] == NAME
    again = client.post("/privacy/erasures", json={"expert_id": person["id"], "reason": "again"}, headers=norway)
    assert again.status_code == 409 and "waiting" in again.json()["detail"]
    assert client.post(f"/privacy/erasures/{asked.json()['id']}/approve", headers=norway).status_code == 403

    approved = client.post(f"/privacy/erasures/{asked.json()['id']}/approve", json={"note": "ok"}, headers=hq)

    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "done" and approved.json()["decided_by"].startswith("test hq")
    assert client.get(f"/experts/{person['id']}", headers=norway).json()["email"] is None
    assert NATIONAL_ID.lower() not in _dump(engine)
    twice = client.post("/privacy/erasures", json={"expert_id": person["id"], "reason": "again"}, headers=auth("admin"))
    assert twice.status_code == 409 and "erased already" in twice.json()["detail"]
    decided = client.post(f"/privacy/erasures/{asked.json()['id']}/decline", headers=hq)
    assert decided.status_code == 409


def test_a_state_erases_at_once_an_expert_never_deployed_and_sees_only_its_own(client, auth):
    norway, ghana = auth("member_state", "NOR"), auth("member_state", "GHA")
    mine = _expert(client, norway)
    theirs = _expert(client, ghana, nationality="GHA")

    other = client.post("/privacy/erasures", json={"expert_id": theirs["id"], "reason": "x"}, headers=norway)
    missing = client.post("/privacy/erasures", json={"expert_id": 999_999, "reason": "x"}, headers=norway)
    assert other.status_code == missing.status_code == 404
    assert other.json()["detail"].replace(str(theirs["id"]), "N") == missing.json()["detail"].replace("999999", "N")
    done = client.post("/privacy/erasures", json={"expert_id": mine["id"], "reason": "asked"}, headers=norway)
    assert done.status_code == 201 and done.json()["status"] == "done", done.text

    assert client.get("/privacy/erasures", headers=norway).json()["count"] == 1
    assert client.get("/privacy/erasures", headers=ghana).json()["count"] == 0
    assert client.get(f"/privacy/erasures/{done.json()['id']}", headers=ghana).status_code == 404
    assert client.get("/privacy/erasures", headers=auth("hq")).json()["count"] == 1


def test_a_declined_request_leaves_the_expert_and_may_be_asked_again(client, auth, person):
    norway = auth("member_state", "NOR")
    asked = client.post("/privacy/erasures", json={"expert_id": person["id"], "reason": "asked"}, headers=norway)
    declined = client.post(
        f"/privacy/erasures/{asked.json()['id']}/decline", json={"note": "still deployed"}, headers=auth("hq")
    )
    assert declined.status_code == 200 and declined.json()["status"] == "declined", declined.text
    assert client.get(f"/experts/{person['id']}", headers=norway).json()["national_id"] == NATIONAL_ID
    listed = client.get("/privacy/erasures", params={"status": "pending"}, headers=norway).json()
    assert listed["count"] == 0
    again = client.post("/privacy/erasures", json={"expert_id": person["id"], "reason": "asked"}, headers=norway)
    assert again.status_code == 202, again.text


@pytest.mark.parametrize(
    ("role", "body", "status"),
    [
        ("hq", {"expert_id": 1, "reason": "x"}, 403),
        ("planner", {"expert_id": 1, "reason": "x"}, 403),
        ("admin", {"expert_id": 1}, 422),
        ("admin", {"expert_id": 1, "reason": ""}, 422),
        ("admin", {"expert_id": "1", "reason": "x"}, 422),
        ("admin", {"expert_id": 0, "reason": "x"}, 422),
        ("admin", {"expert_id": 1, "reason": "x", "extra": 1}, 422),
        ("admin", {"expert_id": 999_999, "reason": "x"}, 404),
    ],
)
def test_bad_requests_are_refused_in_words(client, auth, role, body, status):
    answer = client.post("/privacy/erasures", json=body, headers=auth(role))
    assert answer.status_code == status, answer.text
    assert answer.json()["detail"]


def test_unknown_erasures_answer_404(client, auth):
    for action in ("approve", "decline"):
        assert client.post(f"/privacy/erasures/999/{action}", headers=auth("hq")).status_code == 404
    assert client.get("/privacy/erasures/999", headers=auth("admin")).status_code == 404
    assert client.get("/privacy/erasures", headers=auth("planner")).status_code == 403


def test_the_audit_log_refuses_a_change_outside_an_erasure_and_any_but_before_and_after_within(engine):
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO audit_log (at, actor_name, actor_role, action, entity, entity_id, after) "
                "VALUES (CURRENT_TIMESTAMP, 'x', 'hq', 'create', 'expert', '1', '{\"full_name\": \"A B\"}')"
            )
        )
    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as connection:
        connection.execute(text("UPDATE audit_log SET after = NULL"))
    with Session(engine) as session:
        from service.privacy.erasure import audit_rewrite

        audit_rewrite(session, 1, allowed=True)
        with pytest.raises(DBAPIError, match="append-only"):
            session.connection().execute(text("UPDATE audit_log SET actor_name = 'forged'"))
        session.rollback()
    with Session(engine) as session:
        audit_rewrite(session, 1, allowed=True)
        session.connection().execute(text("UPDATE audit_log SET after = NULL"))
        with pytest.raises(DBAPIError, match="append-only"):
            session.connection().execute(text("DELETE FROM audit_log"))
        session.rollback()
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM erasure_in_progress")).scalar_one() == 0


def test_erase_is_callable_without_a_request(client, auth, engine):
    """The retention purge's entry: erase in the caller's transaction; nothing commits until it does."""
    made = _expert(client, auth("member_state", "NOR"), full_name=NAME, email=EMAIL)
    with Session(engine) as session:
        changed = erase(session, made["id"], pseudonym="Purged E1")
        assert changed["expert"] == 1 and changed["audit_log"] >= 1
        session.rollback()
    assert client.get(f"/experts/{made['id']}", headers=auth("hq")).json()["full_name"] == NAME
    with Session(engine) as session:
        erase(session, made["id"], pseudonym="Purged E1")
        session.commit()
    assert EMAIL.lower() not in _dump(engine)


class TestScrub:
    scrubber = Scrubber(Person("Ana Diallo", "ana@example.org", "42", "Erased person E7"))

    def test_exact_values_in_json(self):
        data = {"full_name": "Ana Diallo", "email": "ANA@example.org", "national_id": "42", "seat": 42, "id": "42x"}
        assert self.scrubber.data(data) == {
            "full_name": "Erased person E7",
            "email": None,
            "national_id": None,
            "seat": 42,
            "id": "42x",
        }
        assert self.scrubber.data({"Ana Diallo": ["ana diallo"]}) == {"Erased person E7": ["Erased person E7"]}

    def test_inside_longer_strings_bounded(self):
        assert self.scrubber.text("Nominated: Ana Diallo (ana@example.org)") == (
            f"Nominated: Erased person E7 ({ERASED})"
        )
        assert self.scrubber.text("Banana Diallos") == "Banana Diallos"  # not a word of hers
        assert self.scrubber.text("position 42") == "position 42"  # too short to look for inside texts
        assert self.scrubber.text("42") == ERASED

    def test_json_text_is_rewritten_only_when_it_changes(self):
        kept = '{"a": 1,  "b": "x"}'
        assert self.scrubber.json_text(kept) is kept
        assert json.loads(self.scrubber.json_text('{"name": "Ana Diallo", "n": "é"}')) == {
            "name": "Erased person E7",
            "n": "é",
        }
        assert self.scrubber.json_text("not json: Ana Diallo") == "not json: Erased person E7"

    def test_escaped_forms_are_looked_for(self):
        person = Person('Zoë "Z" O\'Hara', None, None, "P")
        assert {'Zoë "Z" O\'Hara', 'Zo\\u00eb \\"Z\\" O\'Hara', 'Zoë \\"Z\\" O\'Hara'} == set(person.patterns())


def test_every_text_column_is_scrubbed_or_said_to_hold_no_copy():
    """A new column that may hold text or JSON must be placed: scrubbed by an erasure, or said why not."""
    text_types = (sa.String, sa.Text, sa.JSON, AutoString)
    for table in SQLModel.metadata.sorted_tables:
        columns = {c.name for c in table.columns if isinstance(c.type, text_types) and not isinstance(c.type, sa.Enum)}
        placed = set(PLACES.get(table.name, {})) | NOT_COPIES.get(table.name, (set(), ""))[0]
        assert columns <= placed, f"{table.name}: {sorted(columns - placed)} not placed (privacy/erasure.py)"


def test_an_expert_id_written_as_17_0_is_17_and_as_text_or_true_is_refused_in_words(client, auth):
    admin = auth("admin")
    made = client.post("/experts", json=factories.expert(), headers=auth("hq")).json()
    erased = client.post("/privacy/erasures", json={"expert_id": float(made["id"]), "reason": "asked"}, headers=admin)
    assert erased.status_code == 201, erased.text
    for wrong in (str(made["id"]), True):
        refused = client.post("/privacy/erasures", json={"expert_id": wrong, "reason": "asked"}, headers=admin)
        assert refused.status_code == 422 and "expert_id" in refused.text, refused.text
