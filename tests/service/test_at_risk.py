"""Deployments at risk: a change that breaks a live deployment is recorded on it, announced once, listed,
and cleared when the data is right again; an expert is deactivated, never deleted."""

from types import SimpleNamespace

import pytest
from sqlmodel import Session, select

from service.planning import jobs
from service.platform.tables import AuditEntry, Expert
from tests.service import factories

NO_LANGUAGE = {"languages": []}


def _expert(client, headers, name: str, **overrides) -> int:
    made = client.post(
        "/experts", json=factories.expert(full_name=name, nationality="NOR") | overrides, headers=headers
    )
    assert made.status_code == 201, made.text
    return made.json()["id"]


def _offer(client, headers, title: str, **overrides) -> int:
    made = client.post(
        "/offers", json=factories.offer(title=title, kind="individual", slots=1) | overrides, headers=headers
    )
    assert made.status_code == 201, made.text
    return made.json()["id"]


def _request(client, headers, seats: int, **position) -> dict:
    positions = [factories.position(title=f"Adviser {n + 1}", **position) for n in range(seats)]
    made = client.post("/requests", json=factories.capacity_request(positions=positions), headers=headers)
    assert made.status_code == 201, made.text
    return made.json()


@pytest.fixture
def world(client, auth, engine):
    """Norway: three deployed experts, two deployed offers; Ghana: one deployed expert; each on a seat of its own."""
    hq, norway, ghana = auth("hq"), auth("member_state", "NOR"), auth("member_state", "GHA")
    people = _request(client, hq, 3)
    teams = _request(client, hq, 2, **NO_LANGUAGE)
    other = _request(client, hq, 1)
    w = SimpleNamespace(
        ane=_expert(client, norway, "Ane Berg"),
        bjorn=_expert(client, norway, "Bjorn Dahl"),
        cato=_expert(client, norway, "Cato Lie"),
        kofi=_expert(client, ghana, "Kofi Mensah", nationality="GHA"),
        police=_offer(client, norway, "Police adviser"),
        trainer=_offer(client, norway, "Police trainer"),
        people=people,
        teams=teams,
        other=other,
    )
    seats = [p["id"] for p in people["positions"]]
    w.d = {
        "ane": factories.deploy(engine, seats[0], expert=w.ane),
        "bjorn": factories.deploy(engine, seats[1], expert=w.bjorn),
        "cato": factories.deploy(engine, seats[2], expert=w.cato),
        "police": factories.deploy(engine, teams["positions"][0]["id"], offer=w.police),
        "trainer": factories.deploy(engine, teams["positions"][1]["id"], offer=w.trainer),
        "kofi": factories.deploy(engine, other["positions"][0]["id"], expert=w.kofi),
    }
    assert _at_risk(client, auth("planner")) == {}
    return w


def _at_risk(client, headers) -> dict[int, list[dict]]:
    listed = client.get("/deployments", params={"at_risk": "true"}, headers=headers)
    assert listed.status_code == 200, listed.text
    return {d["id"]: d["at_risk"] for d in listed.json()["data"]}


def _rules(client, headers) -> dict[int, set[str]]:
    return {i: {r["rule"] for r in reasons} for i, reasons in _at_risk(client, headers).items()}


def _patch(client, path: str, body: dict, headers) -> dict:
    etag = client.get(path, headers=headers).headers["etag"]
    changed = client.patch(path, json=body, headers=headers | {"If-Match": etag})
    assert changed.status_code == 200, changed.text
    return changed.json()


def _events(client, headers) -> list[dict]:
    return client.get("/events", params={"type": "deployment.at_risk"}, headers=headers).json()["data"]


def test_withdrawing_an_offer_flags_its_deployment_once(client, auth, world):
    norway, planner = auth("member_state", "NOR"), auth("planner")
    _patch(client, f"/offers/{world.police}", {"status": "withdrawn"}, norway)
    reasons = _at_risk(client, planner)
    assert reasons == {
        world.d["police"]: [{"rule": "supplier", "detail": "Police adviser is an offer its Member State withdrew"}]
    }
    shown = client.get(f"/deployments/{world.d['police']}", headers=norway).json()
    assert shown["status"] == "awaiting_consent" and shown["at_risk_since"] is not None
    _patch(client, f"/offers/{world.police}", {"title": "Police adviser (withdrawn)"}, norway)
    (event,) = _events(client, planner)
    assert event["entity_id"] == str(world.d["police"]) and event["state"] == "NOR"
    assert event["payload"]["reasons"][0]["rule"] == "supplier"
    assert [e["id"] for e in _events(client, norway)] == [event["id"]]


def test_shortening_an_offer_flags_only_that_offer(client, auth, world):
    _patch(client, f"/offers/{world.trainer}", {"available_to": "2027-06-30"}, auth("member_state", "NOR"))
    assert _rules(client, auth("planner")) == {world.d["trainer"]: {"availability"}}


def test_deactivating_a_deployed_expert_keeps_the_record_and_flags_the_deployment(client, auth, world, engine):
    norway, planner = auth("member_state", "NOR"), auth("planner")
    assert client.delete(f"/experts/{world.ane}", headers=norway).status_code == 204
    kept = client.get(f"/experts/{world.ane}", headers=planner)
    assert kept.status_code == 200 and kept.json()["active"] is False
    assert _at_risk(client, planner) == {
        world.d["ane"]: [{"rule": "supplier", "detail": "Ane Berg is no longer active on the roster"}]
    }
    assert client.delete(f"/experts/{world.ane}", headers=norway).status_code == 204
    assert len(_events(client, planner)) == 1
    with Session(engine) as session:
        actions = session.exec(
            select(AuditEntry.action).where(AuditEntry.entity == "expert", AuditEntry.entity_id == str(world.ane))
        ).all()
    assert actions.count("deactivate") == 1 and "delete" not in actions


def test_leave_over_the_deployment_flags_it(client, auth, world):
    leave = [{"start": "2027-05-01", "end": "2027-05-31"}]
    _patch(client, f"/experts/{world.bjorn}", {"leave": leave}, auth("member_state", "NOR"))
    assert _rules(client, auth("planner")) == {world.d["bjorn"]: {"availability"}}


def test_a_lapsed_screening_flags_and_a_renewed_one_clears(client, auth, world):
    norway, planner = auth("member_state", "NOR"), auth("planner")
    _patch(client, f"/experts/{world.cato}", {"screening_valid_until": "2020-01-01"}, norway)
    assert _at_risk(client, planner) == {
        world.d["cato"]: [
            {
                "rule": "credential:HR-SCREENING",
                "detail": "Cato Lie lacks a valid human-rights screening through 2027-12-31",
            }
        ]
    }
    _patch(client, f"/experts/{world.cato}", {"screening_valid_until": "2029-12-31"}, norway)
    assert _at_risk(client, planner) == {}
    cleared = client.get(f"/deployments/{world.d['cato']}", headers=planner).json()
    assert cleared["at_risk"] is None and cleared["at_risk_since"] is None
    assert world.d["cato"] in {
        d["id"] for d in client.get("/deployments?at_risk=false", headers=planner).json()["data"]
    }
    _patch(client, f"/experts/{world.cato}", {"screening_valid_until": "2021-01-01"}, norway)
    assert len(_events(client, planner)) == 2  # flagged again after it was cleared: announced again


def test_a_member_state_sees_only_its_own_deployments_at_risk(client, auth, world):
    for expert, state in ((world.bjorn, "NOR"), (world.kofi, "GHA")):
        _patch(client, f"/experts/{expert}", {"active": False}, auth("member_state", state))
    assert set(_at_risk(client, auth("planner"))) == {world.d["bjorn"], world.d["kofi"]}
    assert set(_at_risk(client, auth("member_state", "GHA"))) == {world.d["kofi"]}
    assert set(_at_risk(client, auth("member_state", "NOR"))) == {world.d["bjorn"]}
    assert [e["entity_id"] for e in _events(client, auth("member_state", "GHA"))] == [str(world.d["kofi"])]


def test_hq_standing_a_request_down_flags_its_deployments(client, auth, world):
    hq, planner = auth("hq"), auth("planner")
    _patch(client, f"/requests/{world.people['id']}", {"status": "stood_down"}, hq)
    expected = {world.d[k]: {"request"} for k in ("ane", "bjorn", "cato")}
    assert _rules(client, planner) == expected
    assert {e["entity_id"] for e in _events(client, planner)} == {str(i) for i in expected}


def test_moving_a_position_flags_its_deployment(client, auth, world):
    position = world.teams["positions"][0]
    path = f"/requests/{world.teams['id']}/positions/{position['id']}"
    _patch(client, path, {"start_date": "2031-01-01", "end_date": "2031-06-30"}, auth("hq"))
    reasons = _at_risk(client, auth("planner"))[world.d["police"]]
    assert (
        "Police adviser is deployed from 2027-03-01 to 2027-12-31, "
        "but the position now runs from 2031-01-01 to 2031-06-30" in [r["detail"] for r in reasons]
    )
    assert set(_at_risk(client, auth("planner"))) == {world.d["police"]}


def test_deleting_an_expert_keeps_the_plans_that_name_them(client, auth, engine):
    hq, planner = auth("hq"), auth("planner")
    request = _request(client, hq, 2)
    named = [_expert(client, hq, f"Planned {n}") for n in range(2)]
    queued = client.post(
        "/plans", json={"workers": 1, "today": "2027-01-04", "request_ids": [request["id"]]}, headers=planner
    )
    assert jobs.work_once(engine, "test-worker") == queued.json()["id"]
    plan = client.get(f"/plans/{queued.json()['id']}", headers=planner).json()
    before = client.get(f"/plans/{plan['id']}/assignments", headers=planner).json()
    assert before["count"] == 2 == plan["summary"]["filled"]
    assert client.delete(f"/experts/{named[0]}", headers=hq).status_code == 204
    after = client.get(f"/plans/{plan['id']}/assignments", headers=planner).json()
    assert after["count"] == before["count"]
    assert {a["supplier"]["name"] for a in after["data"]} == {"Planned 0", "Planned 1"}
    with Session(engine) as session:
        assert session.get(Expert, named[0]).active is False


def _plan(client, engine, headers, **body) -> dict:
    queued = client.post("/plans", json={"workers": 1, "today": "2027-01-04"} | body, headers=headers)
    assert queued.status_code == 202, queued.text
    assert jobs.work_once(engine, "test-worker") == queued.json()["id"]
    return client.get(f"/plans/{queued.json()['id']}/assignments", headers=headers).json()["data"]


def test_a_replacement_fills_only_the_seat_at_risk_and_keeps_every_other_deployment(client, auth, world, engine):
    planner, norway = auth("planner"), auth("member_state", "NOR")
    spare = _expert(client, auth("hq"), "Spare Adviser")
    seats = [p["id"] for p in world.people["positions"]]
    assert _plan(client, engine, planner, request_ids=[world.people["id"]]) == []  # every seat is held
    _patch(client, f"/experts/{world.ane}", {"leave": [{"start": "2027-05-01", "end": "2027-05-31"}]}, norway)
    refused = client.post("/plans", json={"replace_deployments": [world.d["bjorn"]]}, headers=planner)
    assert refused.status_code == 409 and "not at risk" in refused.json()["detail"]

    (proposal,) = _plan(client, engine, planner, request_ids=[world.people["id"]], replace_deployments=[world.d["ane"]])
    assert (proposal["position_id"], proposal["seat"], proposal["supplier"]["id"]) == (seats[0], 1, f"E{spare}")
    others = {
        d["id"]: d for d in client.get("/deployments", headers=planner).json()["data"] if d["id"] != world.d["ane"]
    }
    review = client.post(f"/plans/{proposal['plan_id']}/review", json={"approve": [proposal["id"]]}, headers=planner)
    assert review.status_code == 200, review.text
    (new,) = review.json()["deployments"]
    replaced = client.get(f"/deployments/{world.d['ane']}", headers=planner).json()
    assert replaced["status"] == "cancelled"
    after = {d["id"]: d for d in client.get("/deployments", headers=planner).json()["data"]}
    assert {i: after[i] for i in others} == others  # every other deployment untouched
    assert after[new]["supplier"]["id"] == f"E{spare}" and after[new]["position_id"] == seats[0]
    assert _at_risk(client, planner) == {}
    with Session(engine) as session:
        (entry,) = session.exec(select(AuditEntry).where(AuditEntry.action == "replace")).all()
    assert entry.entity_id == str(world.d["ane"]) and entry.after["replaced_by_plan"] == proposal["plan_id"]


def test_a_replacement_is_refused_once_the_deployment_is_fine_again(client, auth, world, engine):
    planner, norway = auth("planner"), auth("member_state", "NOR")
    _expert(client, auth("hq"), "Spare Adviser")
    _patch(client, f"/experts/{world.ane}", {"screening_valid_until": "2020-01-01"}, norway)
    (proposal,) = _plan(client, engine, planner, request_ids=[world.people["id"]], replace_deployments=[world.d["ane"]])
    _patch(client, f"/experts/{world.ane}", {"screening_valid_until": "2029-12-31"}, norway)
    review = client.post(f"/plans/{proposal['plan_id']}/review", json={"approve": [proposal["id"]]}, headers=planner)
    assert review.status_code == 409 and "no longer at risk" in review.json()["detail"]
    assert client.get(f"/deployments/{world.d['ane']}", headers=planner).json()["status"] == "awaiting_consent"


def test_an_import_that_breaks_a_deployment_flags_it(client, auth, world):
    norway = auth("member_state", "NOR")
    offer = client.get(f"/offers/{world.police}", headers=norway).json()
    columns = ("title", "kind", "category", "available_from", "available_to", "expires_on")
    content = f"{','.join(columns)},status\n{','.join(str(offer[c]) for c in columns)},withdrawn\n".encode()
    imported = client.post("/offers/import", files={"file": ("offers.csv", content, "text/csv")}, headers=norway)
    assert imported.status_code == 200 and imported.json()["updated"] == 1, imported.text
    assert _rules(client, auth("planner")) == {world.d["police"]: {"supplier"}}


def test_the_workers_daily_pass_flags_what_changed_unannounced(client, auth, world, engine):
    from sqlalchemy import text

    from service.planning import risks

    with Session(engine) as session:
        session.execute(text("UPDATE expert SET active = false WHERE id = :id"), {"id": world.kofi})
        session.commit()
    assert _at_risk(client, auth("planner")) == {}
    assert risks.recheck_all(engine) == 1
    assert set(_at_risk(client, auth("planner"))) == {world.d["kofi"]}
    assert risks.recheck_all(engine) == 0
