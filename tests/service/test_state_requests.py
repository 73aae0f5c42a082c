"""Requests from states (issue 18, part 6): a Member State asks for capacity for its own government, with or without
a mission; HQ accepts (the request is submitted and can be planned) or declines it with a note (final). Every
request says who asked; a state sees and changes only its own proposed requests."""

import csv
import io

import pytest
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from schemas.enums import Level, RequestStatus
from service.platform.tables import AuditEntry, CapacityRequest
from tests.service import factories
from tests.service.test_planning_flow import _run

TODAY = "2027-01-04"


def _ask(client, auth, state: str = "NOR", **overrides) -> dict:
    body = factories.capacity_request(**overrides)
    body.pop("mission") if "mission" not in overrides else None
    made = client.post("/requests", json=body, headers=auth("member_state", state))
    assert made.status_code == 201, made.text
    return made.json()


def _decide(client, auth, request_id: int, decision: str, note: str = "", role: str = "hq"):
    headers = auth(role, "NOR" if role == "member_state" else None)
    return client.post(f"/requests/{request_id}/decision", json={"decision": decision, "note": note}, headers=headers)


def _events(client, headers) -> list[tuple[str, int]]:
    return [(e["type"], e["payload"].get("request_id")) for e in client.get("/events", headers=headers).json()["data"]]


def test_a_state_asks_for_its_government_and_hq_accepts(client, auth, engine):
    norway, hq = auth("member_state", "NOR"), auth("hq")
    asked = _ask(client, auth)
    assert asked["status"] == "proposed" and asked["mission"] is None
    assert (asked["requested_by_state"], asked["requested_by"]) == ("NOR", "test member_state NOR")
    assert asked["decided_by"] is None
    listed = client.get("/requests?status=proposed", headers=hq).json()["data"]
    assert [r["id"] for r in listed] == [asked["id"]]

    accepted = _decide(client, auth, asked["id"], "accept", "welcome: we will plan it in March")
    assert accepted.status_code == 200, accepted.text
    done = accepted.json()
    assert done["status"] == "submitted" and done["decided_by"] == "test hq " and done["decided_at"]
    assert done["decision_note"] == "welcome: we will plan it in March"
    assert client.get(f"/requests/{asked['id']}", headers=norway).json()["status"] == "submitted"
    assert _events(client, norway) == [("request.proposed", asked["id"]), ("request.accepted", asked["id"])]
    assert _events(client, auth("member_state", "GHA")) == []
    with Session(engine) as session:
        trail = session.exec(
            select(AuditEntry.action).where(AuditEntry.entity == "capacity_request").order_by(AuditEntry.id)
        ).all()
    assert trail == ["create", "accept"]


def test_the_state_comes_from_the_token(client, auth):
    norway = auth("member_state", "NOR")
    body = factories.capacity_request(requested_by_state="GHA")
    other = client.post("/requests", json=body, headers=norway)
    assert other.status_code == 422 and other.json()["detail"][0]["field"] == "requested_by_state"
    submitted = client.post("/requests", json=factories.capacity_request(status="submitted"), headers=norway)
    assert submitted.status_code == 422 and "starts proposed" in submitted.json()["detail"][0]["message"]
    with_mission = client.post("/requests", json=factories.capacity_request(requested_by_state="NOR"), headers=norway)
    assert with_mission.status_code == 201 and with_mission.json()["mission"] == "MINUSCA"
    assert with_mission.json()["status"] == "proposed"


def test_hq_names_a_mission_and_never_sets_proposed_or_declined_by_hand(client, auth):
    hq = auth("hq")
    body = factories.capacity_request()
    del body["mission"]
    missing = client.post("/requests", json=body, headers=hq)
    assert missing.status_code == 422 and missing.json()["detail"][0]["field"] == "mission"
    proposed = client.post("/requests", json=factories.capacity_request(status="proposed"), headers=hq)
    assert proposed.status_code == 422 and "requested_by_state" in proposed.json()["detail"][0]["message"]
    declined = client.post("/requests", json=factories.capacity_request(status="declined"), headers=hq)
    assert declined.status_code == 422
    own = client.post("/requests", json=factories.capacity_request(), headers=hq).json()
    assert (own["requested_by_state"], own["requested_by"], own["status"]) == (None, "test hq ", "submitted")
    for status in ("proposed", "declined"):
        assert client.patch(f"/requests/{own['id']}", json={"status": status}, headers=hq).status_code == 422
    assert client.patch(f"/requests/{own['id']}", json={"mission": None}, headers=hq).status_code == 422
    asked = _ask(client, auth)
    bypass = client.patch(f"/requests/{asked['id']}", json={"status": "submitted"}, headers=hq)
    assert bypass.status_code == 422 and "/decision" in bypass.json()["detail"][0]["message"]
    assert _decide(client, auth, own["id"], "accept").status_code == 409


def test_declining_needs_a_note_and_is_final(client, auth):
    norway = auth("member_state", "NOR")
    asked = _ask(client, auth)
    silent = _decide(client, auth, asked["id"], "decline", "  ")
    assert silent.status_code == 422 and silent.json()["detail"][0]["field"] == "note"
    assert _decide(client, auth, asked["id"], "accept", role="member_state").status_code == 403
    assert _decide(client, auth, asked["id"], "accept", role="planner").status_code == 403
    declined = _decide(client, auth, asked["id"], "decline", "covered by the SPC's visit in May", role="admin")
    assert declined.status_code == 200 and declined.json()["status"] == "declined"
    again = _decide(client, auth, asked["id"], "accept")
    assert again.status_code == 409 and "declined" in again.json()["detail"]
    seen = client.get(f"/requests/{asked['id']}", headers=norway).json()
    assert seen["decision_note"] == "covered by the SPC's visit in May"
    declined_event = client.get("/events", headers=norway).json()["data"][-1]
    assert declined_event["type"] == "request.declined" and declined_event["payload"]["status"] == "declined"
    for body, headers in (
        ({"status": "submitted"}, auth("hq")),
        ({"priority": 1}, auth("hq")),
        ({"priority": 1}, norway),
    ):
        kept = client.patch(f"/requests/{asked['id']}", json=body, headers=headers)
        assert kept.status_code == 409 and "stays as decided" in kept.json()["detail"], kept.text
    position = asked["positions"][0]["id"]
    moved = client.patch(f"/requests/{asked['id']}/positions/{position}", json={"count": 2}, headers=auth("hq"))
    assert moved.status_code == 409, moved.text


def test_a_state_edits_and_withdraws_only_its_own_proposed_requests(client, auth):
    norway = auth("member_state", "NOR")
    asked = _ask(client, auth)
    path = f"/requests/{asked['id']}"
    changed = client.patch(path, json={"title": "Defence sector review", "mission": "MINUSCA"}, headers=norway)
    assert changed.status_code == 200 and changed.json()["mission"] == "MINUSCA"
    assert client.patch(path, json={"mission": None}, headers=norway).json()["mission"] is None
    status = client.patch(path, json={"status": "closed"}, headers=norway)
    assert status.status_code == 422 and "/withdraw" in status.json()["detail"][0]["message"]
    added = client.post(f"{path}/positions", json=factories.position(title="Legal adviser"), headers=norway)
    assert added.status_code == 201
    withdrawn = client.post(f"{path}/withdraw", headers=norway)
    assert withdrawn.status_code == 200 and withdrawn.json()["status"] == "closed"
    assert client.post(f"{path}/withdraw", headers=norway).status_code == 409
    assert client.patch(path, json={"priority": 1}, headers=norway).status_code == 409
    assert client.get("/events", headers=norway).json()["data"][-1]["type"] == "request.withdrawn"

    hq_request = client.post("/requests", json=factories.capacity_request(), headers=auth("hq")).json()
    refused = client.patch(f"/requests/{hq_request['id']}", json={"priority": 1}, headers=norway)
    assert refused.status_code == 403 and "NOR made" in refused.json()["detail"]
    assert client.post(f"/requests/{hq_request['id']}/withdraw", headers=norway).status_code == 403


def test_another_state_cannot_see_or_act_on_a_proposed_request(client, auth):
    ghana = auth("member_state", "GHA")
    asked = _ask(client, auth)
    for method, suffix, body in (
        ("GET", "", None),
        ("PATCH", "", {"priority": 1}),
        ("POST", "/withdraw", None),
        ("GET", "/positions", None),
        ("POST", "/positions", factories.position()),
    ):
        other = client.request(method, f"/requests/{asked['id']}{suffix}", json=body, headers=ghana)
        missing = client.request(method, f"/requests/999999{suffix}", json=body, headers=ghana)
        assert other.status_code == missing.status_code == 404, (method, suffix)
        assert other.json()["detail"].replace(str(asked["id"]), "N") == missing.json()["detail"].replace("999999", "N")
    assert client.get("/requests", headers=ghana).json()["count"] == 0
    assert client.get("/requests?requested_by_state=NOR", headers=ghana).json()["count"] == 0
    _decide(client, auth, asked["id"], "accept")
    assert client.get(f"/requests/{asked['id']}", headers=ghana).status_code == 200  # open now, as HQ's are


def test_the_list_shows_what_awaits_hq_first_and_filters_by_who_asked(client, auth):
    hq = auth("hq")
    own = client.post("/requests", json=factories.capacity_request(priority=1), headers=hq).json()
    norway = _ask(client, auth, priority=5)
    ghana = _ask(client, auth, "GHA", priority=4)
    assert [r["id"] for r in client.get("/requests", headers=hq).json()["data"]] == [
        ghana["id"],
        norway["id"],
        own["id"],
    ]
    assert [r["id"] for r in client.get("/requests?requested_by_state=NOR", headers=hq).json()["data"]] == [
        norway["id"]
    ]
    mine = client.get("/requests", headers=auth("member_state", "NOR")).json()["data"]
    assert {r["id"] for r in mine} == {norway["id"], own["id"]}  # its own and the open ones


def test_a_title_is_unique_per_mission_or_per_state_outside_one(client, auth):
    first = _ask(client, auth, title="Border police reform")
    again = client.post(
        "/requests",
        json={k: v for k, v in first.items() if k in ("title", "level")},
        headers=auth("member_state", "NOR"),
    )
    assert again.status_code == 409 and "NOR outside a mission" in again.json()["detail"]
    assert _ask(client, auth, "GHA", title="Border police reform")["status"] == "proposed"
    assert _ask(client, auth, title="Border police reform", mission="MINUSCA")["mission"] == "MINUSCA"


def test_the_database_keeps_the_rules(engine, client, auth):
    client.get("/health")
    bad = (
        {"status": RequestStatus.proposed, "mission": "MINUSCA"},  # a proposal is a state's
        {"status": RequestStatus.declined, "mission": "MINUSCA", "requested_by_state": "NOR"},  # with a note
        {"status": RequestStatus.submitted},  # a mission or a state
    )
    for values in bad:
        with Session(engine) as session, pytest.raises(IntegrityError):
            session.add(CapacityRequest(title="x", level=Level.strategic, priority=3, **values))
            session.commit()


def test_planning_takes_a_state_request_once_accepted_and_keeps_its_nationals_out(client, auth, engine):
    hq, planner = auth("hq"), auth("planner")
    nor_expert = client.post("/experts", json=factories.expert(nationality="NOR", state=None), headers=hq).json()
    asked = _ask(client, auth, positions=[factories.position(count=2)])
    plan = _run(client, engine, planner, body={"today": TODAY, "workers": 1})
    assert plan["summary"]["seats"] == 0
    refused = client.post("/plans", json={"today": TODAY, "request_ids": [asked["id"]]}, headers=planner)
    assert refused.status_code == 422 and "await HQ's decision" in refused.json()["detail"][0]["message"]

    _decide(client, auth, asked["id"], "accept")
    sen_expert = client.post("/experts", json=factories.expert(state=None), headers=hq).json()
    plan = _run(client, engine, planner, body={"today": TODAY, "workers": 1, "request_ids": [asked["id"]]})
    assignments = client.get(f"/plans/{plan['id']}/assignments", headers=planner).json()["data"]
    assert [(a["supplier"]["id"], a["mission"]) for a in assignments] == [(f"E{sen_expert['id']}", None)]
    unfilled = client.get(f"/plans/{plan['id']}/unfilled", headers=planner).json()["data"]
    assert len(unfilled) == 1 and "nationals of the host state" in str(unfilled[0]["detail"])
    assert f"E{nor_expert['id']}" not in str(assignments)

    approved = client.post(f"/plans/{plan['id']}/review", json={"approve": [assignments[0]["id"]]}, headers=planner)
    assert approved.status_code == 200, approved.text
    deployments = client.get("/deployments", headers=hq).json()["data"]
    assert [d["mission"] for d in deployments] == [None]
    exported = list(csv.DictReader(io.StringIO(client.get("/deployments/export?format=csv", headers=hq).text)))
    assert [row["mission"] for row in exported] == ["outside a mission (Norway)"]
    plan_rows = client.get(f"/plans/{plan['id']}/export?format=csv&sheet=unfilled", headers=planner).text
    assert "outside a mission (Norway)" in plan_rows


def test_declined_requests_are_never_planned(client, auth, engine):
    asked = _ask(client, auth)
    _decide(client, auth, asked["id"], "decline", "not in scope")
    client.post("/experts", json=factories.expert(state=None), headers=auth("hq"))
    refused = client.post("/plans", json={"today": TODAY, "request_ids": [asked["id"]]}, headers=auth("planner"))
    assert refused.status_code == 422 and "declined" in refused.json()["detail"][0]["message"]
    assert _run(client, engine, auth("planner"), body={"today": TODAY, "workers": 1})["summary"]["seats"] == 0
