"""The planner's loop over HTTP: offers and experts in, requests in, plan, review, re-solve, deployments."""

import pytest

from service.planning import jobs
from tests.service import factories

TODAY = "2027-01-04"


def _expert(name: str, **overrides) -> dict:
    body = factories.expert(
        full_name=name,
        nationality="NOR",
        notice_days=10,
        skills=[{"code": "SSR-STRATEGY", "proficiency": 4}],
        languages=[{"code": "en", "level": 4}, {"code": "fr", "level": 5}],
    )
    return body | overrides


@pytest.fixture
def world(client, auth):
    """Norway nominates three experts and offers a team; HQ asks for three strategic and two tactical seats."""
    norway, ghana, hq = auth("member_state", "NOR"), auth("member_state", "GHA"), auth("hq")
    experts = [client.post("/experts", json=_expert(n), headers=norway).json() for n in ("Ane", "Bjorn", "Cato")]
    team = client.post(
        "/offers",
        headers=ghana,
        json=factories.offer(
            title="IHL training team",
            kind="team",
            slots=2,
            category="military",
            levels=["tactical"],
            skills=[{"code": "IHL-TRAINING", "proficiency": 4}],
            languages=[{"code": "fr", "level": 4}],
            available_from="2027-01-01",
            available_to="2028-12-31",
            notice_days=20,
        ),
    ).json()
    team = factories.assessed(client, hq, team)
    strategic = client.post(
        "/requests",
        headers=hq,
        json=factories.capacity_request(
            priority=1,
            positions=[factories.position(count=3, start_date="2027-03-01", end_date="2027-12-31")],
        ),
    ).json()
    tactical = client.post(
        "/requests",
        headers=hq,
        json=factories.capacity_request(
            title="IHL trainers",
            level="tactical",
            priority=3,
            positions=[
                factories.position(
                    title="IHL trainer",
                    level="tactical",
                    count=2,
                    required_skills=[{"code": "IHL-TRAINING", "min_proficiency": 3}],
                    start_date="2027-04-01",
                    end_date="2027-09-30",
                )
            ],
        ),
    ).json()
    german = client.post(
        "/requests",
        headers=hq,
        json=factories.capacity_request(
            title="German-speaking adviser",
            priority=2,
            positions=[factories.position(title="Adviser (German)", languages=[{"code": "de", "min_level": 4}])],
        ),
    ).json()
    return {"experts": experts, "team": team, "strategic": strategic, "tactical": tactical, "german": german}


def _run(client, engine, headers, path="/plans", body=None) -> dict:
    queued = client.post(path, json=body, headers=headers)
    assert queued.status_code == 202, queued.text
    assert queued.json()["status"] == "queued"
    assert jobs.work_once(engine, "test-worker") == queued.json()["id"]
    plan = client.get(f"/plans/{queued.json()['id']}", headers=headers).json()
    assert plan["status"] == "succeeded", plan["error"]
    return plan


def test_plan_review_resolve(client, auth, engine, world):
    planner = auth("planner")
    plan = _run(client, engine, planner, body={"time_limit": 10, "workers": 1, "today": TODAY})
    assert plan["summary"]["seats"] == 6 and plan["summary"]["filled"] == 5
    assignments = client.get(f"/plans/{plan['id']}/assignments", headers=planner).json()["data"]
    assert len(assignments) == 5
    assert all(a["score"] and a["total"] == sum(a["score"].values()) for a in assignments)
    team = [a for a in assignments if a["supplier"]["kind"] == "offer"]
    assert len(team) == 2 and {a["slot"] for a in team} == {1, 2}

    unfilled = client.get(f"/plans/{plan['id']}/unfilled", headers=planner).json()["data"]
    assert [u["request_id"] for u in unfilled] == [world["german"]["id"]]
    assert "German" in unfilled[0]["reason"] or "de" in unfilled[0]["reason"]
    german_position = world["german"]["positions"][0]["id"]
    alternatives = client.get(f"/plans/{plan['id']}/positions/{german_position}/alternatives", headers=planner)
    assert alternatives.status_code == 200 and alternatives.json()["current"] is None

    strategic = sorted((a for a in assignments if a["request_id"] == world["strategic"]["id"]), key=lambda a: a["seat"])
    approve, reject = [strategic[0]["id"], team[0]["id"]], strategic[1]
    reviewed = client.post(f"/plans/{plan['id']}/review", json={"approve": approve}, headers=planner)
    assert reviewed.status_code == 200, reviewed.text
    assert len(reviewed.json()["deployments"]) == 2
    rejected = client.post(f"/plans/{plan['id']}/assignments/{reject['id']}/reject", headers=planner)
    assert rejected.status_code == 200 and rejected.json()["rejected"] == [reject["id"]]

    request = client.get(f"/requests/{world['strategic']['id']}", headers=planner).json()
    assert request["status"] == "partly_filled" and request["positions"][0]["filled"] == 1
    offer = client.get(f"/offers/{world['team']['id']}", headers=planner).json()
    assert offer["status"] == "submitted" and offer["slots_used"] == 1  # approval never changes the status

    second = _run(client, engine, planner, path=f"/plans/{plan['id']}/resolve")
    assert second["parent_id"] == plan["id"]
    proposals = client.get(f"/plans/{second['id']}/assignments", headers=planner).json()["data"]
    pairs = {(a["position_id"], a["supplier"]["id"]) for a in proposals}
    assert (reject["position_id"], reject["supplier"]["id"]) not in pairs
    approved_seats = {(a["position_id"], a["seat"]) for a in assignments if a["id"] in approve}
    assert not approved_seats & {(a["position_id"], a["seat"]) for a in proposals}
    approved_suppliers = {a["supplier"]["id"] for a in assignments if a["id"] == strategic[0]["id"]}
    assert not approved_suppliers & {
        a["supplier"]["id"] for a in proposals if a["position_id"] == strategic[0]["position_id"]
    }
    deployments = client.get("/deployments", headers=planner).json()
    # Norway's expert and Ghana's team: each state's consent is asked first
    assert deployments["count"] == 2 and {d["status"] for d in deployments["data"]} == {"awaiting_consent"}


def test_deployment_lifecycle_frees_time(client, auth, engine, world):
    planner = auth("planner")
    plan = _run(client, engine, planner, body={"workers": 1, "today": TODAY})
    first = client.get(f"/plans/{plan['id']}/assignments", headers=planner).json()["data"][0]
    deployment_id = client.post(f"/plans/{plan['id']}/review", json={"approve": [first["id"]]}, headers=planner).json()[
        "deployments"
    ][0]
    path = f"/deployments/{deployment_id}"
    assert client.patch(path, json={"status": "completed"}, headers=planner).status_code == 422
    assert client.patch(path, json={"status": "deployed"}, headers=planner).status_code == 422  # not consented yet
    factories.confirm(client, auth, deployment_id)
    assert client.patch(path, json={"status": "deployed"}, headers=planner).json()["status"] == "deployed"
    assert client.patch(path, json={"status": "cancelled"}, headers=planner).json()["status"] == "cancelled"
    position = client.get(f"/requests/{first['request_id']}/positions/{first['position_id']}", headers=planner)
    assert position.json()["filled"] == 0
    again = client.post(f"/plans/{plan['id']}/review", json={"approve": [first["id"]]}, headers=planner)
    assert again.status_code == 409  # already decided; a new plan proposes it again
    ending = client.get(f"/deployments/ending?within_days=400&today={TODAY}", headers=planner).json()
    assert ending["count"] == 0


def test_member_states_see_only_their_deployments(client, auth, engine, world):
    planner = auth("planner")
    plan = _run(client, engine, planner, body={"workers": 1, "today": TODAY})
    ids = [a["id"] for a in client.get(f"/plans/{plan['id']}/assignments", headers=planner).json()["data"]]
    client.post(f"/plans/{plan['id']}/review", json={"approve": ids}, headers=planner)
    norway = client.get("/deployments", headers=auth("member_state", "NOR")).json()
    ghana = client.get("/deployments", headers=auth("member_state", "GHA")).json()
    assert norway["count"] == 3 and {d["contributing_state"] for d in norway["data"]} == {"NOR"}
    assert ghana["count"] == 2 and {d["supplier"]["kind"] for d in ghana["data"]} == {"offer"}
    other = ghana["data"][0]["id"]
    assert client.get(f"/deployments/{other}", headers=auth("member_state", "NOR")).status_code == 404
    assert client.get("/plans", headers=auth("member_state", "NOR")).status_code == 403


def test_cancel_a_queued_plan(client, auth, engine, world):
    planner = auth("planner")
    plan = client.post("/plans", json={"today": TODAY}, headers=planner).json()
    cancelled = client.delete(f"/plans/{plan['id']}", headers=planner)
    assert cancelled.status_code == 202 and cancelled.json()["status"] == "cancelled"
    assert jobs.work_once(engine, "w") is None
    assert client.delete(f"/plans/{plan['id']}", headers=planner).status_code == 409


def test_inprocess_worker_and_progress_stream(db_url, world):
    """On SQLite the API process runs plans itself; the SSE stream follows one to its end."""
    import json

    import httpx
    from sqlmodel import Session

    from schemas.enums import Role
    from service.app import create_app
    from service.platform.auth import issue_token
    from service.platform.settings import Settings
    from tests.service.conftest import serve

    app = create_app(Settings(database_url=db_url, worker="inprocess", worker_poll_seconds=0.1))
    with Session(app.state.engine) as session:
        _, token = issue_token(session, role=Role.planner, name="sse")
        session.commit()
    headers = {"Authorization": f"Bearer {token}"}
    with serve(app) as url, httpx.Client(base_url=url, headers=headers, timeout=60) as http:
        plan = http.post("/plans", json={"workers": 1, "today": TODAY}).json()
        events = []
        with http.stream("GET", f"/plans/{plan['id']}/events") as stream:
            assert stream.headers["content-type"].startswith("text/event-stream")
            kind = None
            for line in stream.iter_lines():
                if line.startswith("event: "):
                    kind = line.removeprefix("event: ")
                elif line.startswith("data: "):
                    events.append((kind, json.loads(line.removeprefix("data: "))))
                    if kind == "end":
                        break
    assert events[-1][0] == "end" and events[-1][1]["status"] == "succeeded"
    assert events[-1][1]["summary"]["filled"] == 5
    assert all(kind == "progress" for kind, _ in events[:-1])
    app.state.engine.dispose()


def test_alternatives_of_an_unfinished_plan_answer_a_documented_409(client, auth, app, world):
    """Found by fuzzing: the 409 was answered but not documented."""
    planner = auth("planner")
    plan = client.post("/plans", json={"today": TODAY}, headers=planner).json()
    position = world["german"]["positions"][0]["id"]
    response = client.get(f"/plans/{plan['id']}/positions/{position}/alternatives", headers=planner)
    assert response.status_code == 409 and "once it succeeded" in response.json()["detail"]
    documented = app.openapi()["paths"]["/plans/{plan_id}/positions/{position_id}/alternatives"]["get"]
    assert documented["responses"]["409"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Error"
    }


def test_a_planner_pin_puts_the_chosen_alternative_in_the_seat(client, auth, engine, world):
    """The exact swap: re-solve with an alternative pinned to a seat; nothing else is rejected."""
    planner = auth("planner")
    client.post("/experts", json=_expert("Dag"), headers=auth("member_state", "NOR"))  # a fourth, spare
    plan = _run(client, engine, planner, body={"workers": 1, "today": TODAY})
    held = next(
        a
        for a in client.get(f"/plans/{plan['id']}/assignments", headers=planner).json()["data"]
        if a["request_id"] == world["strategic"]["id"]
    )
    options = client.get(
        f"/plans/{plan['id']}/positions/{held['position_id']}/alternatives?seat={held['seat']}", headers=planner
    ).json()
    assert options["current"]["id"] == held["supplier"]["id"] and options["data"]
    chosen = next(o["supplier"]["id"] for o in options["data"] if o["supplier"]["id"] != held["supplier"]["id"])
    pin = {"position_id": held["position_id"], "seat": held["seat"], "supplier": chosen}
    second = _run(
        client, engine, planner, path=f"/plans/{plan['id']}/resolve", body={"workers": 1, "today": TODAY, "pins": [pin]}
    )
    seat = [
        a
        for a in client.get(f"/plans/{second['id']}/assignments", headers=planner).json()["data"]
        if (a["position_id"], a["seat"]) == (held["position_id"], held["seat"])
    ]
    assert [(a["supplier"]["id"], a["review"]) for a in seat] == [(chosen, "pinned")]
    assert client.get(f"/plans/{plan['id']}/assignments?review=rejected", headers=planner).json()["count"] == 0


@pytest.mark.parametrize(
    "pin, field",
    [
        ({"position_id": 999999, "seat": 1, "supplier": "E1"}, "pins.0.position_id"),
        ({"seat": 9, "supplier": "E1"}, "pins.0.seat"),
        ({"seat": 1, "supplier": "E999999"}, "pins.0.supplier"),
        ({"seat": 1, "supplier": "X1"}, "pins.0.supplier"),
    ],
)
def test_bad_pins_are_refused(client, auth, world, pin, field):
    pin = {"position_id": world["german"]["positions"][0]["id"]} | pin
    response = client.post("/plans", json={"today": TODAY, "pins": [pin]}, headers=auth("planner"))
    assert response.status_code == 422 and response.json()["detail"][0]["field"] == field, response.text
