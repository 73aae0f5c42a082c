"""Every endpoint's happy path, as the role that normally uses it."""

from fastapi.testclient import TestClient

from tests.service import factories


def test_health_needs_no_token(client, auth):
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "database": "ok",
        "migrations": "current",
        "worker": {"mode": "external", "queued_plans": 0},
    }
    client.post("/plans", json={}, headers=auth("planner"))
    assert client.get("/health").json()["worker"]["queued_plans"] == 1
    assert client.get("/health/ready").status_code == 200


def test_readiness_fails_while_migrations_are_pending(db_url):
    from alembic import command

    from service.app import create_app
    from service.platform.db import alembic_config
    from service.platform.settings import Settings

    command.downgrade(alembic_config(db_url), "0001")
    app = create_app(Settings(database_url=db_url, check_migrations=False, worker="external"))
    with TestClient(app) as client:
        ready = client.get("/health/ready")
        assert ready.status_code == 503 and ready.json()["migrations"] == "pending"
        assert "roster db upgrade" in ready.json()["detail"]
    app.state.engine.dispose()


def test_metrics_and_request_ids(client, auth):
    response = client.get("/experts", headers=auth("hq") | {"X-Request-ID": "trace-42"})
    assert response.headers["x-request-id"] == "trace-42"
    assert len(client.get("/health").headers["x-request-id"]) == 32
    metrics = client.get("/metrics", headers=auth("admin"))
    assert metrics.status_code == 200 and metrics.headers["content-type"].startswith("text/plain")
    text = metrics.text
    assert 'roster_http_requests_total{method="GET",route="/experts",status="200"} 1.0' in text
    assert 'roster_http_request_duration_seconds_count{method="GET",route="/experts"} 1.0' in text
    assert "roster_plan_queue_length 0.0" in text and 'roster_plans{status="succeeded"} 0.0' in text
    assert client.get("/metrics", headers=auth("planner")).status_code == 403


def test_json_logs_carry_the_request_id(client, auth, caplog):
    import json
    import logging

    from service.platform.observability import JsonFormatter

    with caplog.at_level(logging.INFO, logger="roster.access"):
        client.get("/experts", headers=auth("hq") | {"X-Request-ID": "abc"})
    record = next(r for r in caplog.records if r.name == "roster.access")
    line = json.loads(JsonFormatter().format(record))
    assert line["status"] == 200 and line["route"] == "/experts" and line["method"] == "GET"
    assert line["request_id"] == "abc" and line["level"] == "info"
    assert "Bearer" not in json.dumps(line) and "rst_" not in json.dumps(line)


def test_reference_lists(client, auth):
    skills = client.get("/reference/skills", headers=auth("hq")).json()
    assert skills["count"] >= 30 and skills["count"] == len(skills["data"])
    tactical = client.get("/reference/skills?level=tactical", headers=auth("hq")).json()
    assert 0 < tactical["count"] < skills["count"]
    assert all("tactical" in s["levels"] for s in tactical["data"])
    states = client.get("/reference/member-states", headers=auth("planner")).json()
    assert states["count"] == 193
    missions = client.get("/reference/missions?active=true", headers=auth("member_state", "NOR")).json()
    assert {"MINUSCA", "MONUSCO", "UNMISS"} <= {m["code"] for m in missions["data"]}
    assert all(m["active"] for m in missions["data"])


def test_admin_adds_skill_and_mission(client, auth):
    admin = auth("admin")
    skill = {"code": "CYBER-DEFENCE", "name": "Cyber defence", "area": "Defence", "levels": ["operational"]}
    assert client.post("/reference/skills", json=skill, headers=admin).status_code == 201
    mission = {"code": "UNTEST", "name": "Test mission", "host_states": ["HTI"], "active": True}
    assert client.post("/reference/missions", json=mission, headers=admin).status_code == 201
    closed = client.patch("/reference/missions/UNTEST", json={"active": False}, headers=admin)
    assert closed.status_code == 200 and closed.json()["active"] is False


def test_expert_lifecycle(client, auth):
    hq = auth("hq")
    created = client.post("/experts", json=factories.expert(state="SEN"), headers=hq)
    assert created.status_code == 201, created.text
    expert = created.json()
    assert created.headers["location"] == f"/experts/{expert['id']}"
    assert expert["skills"] == [{"code": "SSR-STRATEGY", "proficiency": 4}]
    assert expert["version"] == 1
    fetched = client.get(f"/experts/{expert['id']}", headers=hq)
    assert fetched.status_code == 200 and fetched.headers["etag"] == '"1"'
    assert fetched.json() == expert
    planner = client.get(f"/experts/{expert['id']}", headers=auth("planner")).json()
    assert planner["email"] is None and planner["full_name"] == expert["full_name"]  # a planner needs no e-mail
    patched = client.patch(
        f"/experts/{expert['id']}",
        json={"notice_days": 7, "leave": [{"start": "2027-06-01", "end": "2027-06-30"}]},
        headers=hq,
    )
    assert patched.status_code == 200
    assert patched.json()["notice_days"] == 7 and patched.json()["version"] == 2
    assert patched.json()["availability"] == expert["availability"]
    assert patched.json()["leave"] == [{"start": "2027-06-01", "end": "2027-06-30"}]
    assert client.delete(f"/experts/{expert['id']}", headers=hq).status_code == 204
    kept = client.get(f"/experts/{expert['id']}", headers=hq)
    assert kept.status_code == 200 and kept.json()["active"] is False  # deactivated, not deleted


def test_expert_filters(client, auth):
    hq = auth("hq")
    fluent = client.post("/experts", json=factories.expert(), headers=hq).json()
    english = client.post(
        "/experts",
        json=factories.expert(
            languages=[{"code": "en", "level": 5}],
            skills=[{"code": "SSR-STRATEGY", "proficiency": 2}],
            category="military",
            grade="OF-4",
            availability=[{"start": "2027-01-01", "end": "2027-03-31"}],
        ),
        headers=hq,
    ).json()
    on_leave = client.post(
        "/experts", json=factories.expert(leave=[{"start": "2027-05-01", "end": "2027-05-15"}]), headers=hq
    ).json()
    any_time = client.post("/experts", json=factories.expert(availability=[], category="justice"), headers=hq).json()

    def ids(query: str) -> set[int]:
        body = client.get(f"/experts?{query}", headers=hq).json()
        assert body["count"] == len(body["data"])
        return {e["id"] for e in body["data"]}

    everyone = {fluent["id"], english["id"], on_leave["id"], any_time["id"]}
    assert ids("language=fr:4") == everyone - {english["id"]}
    assert ids("skill=SSR-STRATEGY:3") == everyone - {english["id"]}
    assert ids("skill=SSR-STRATEGY&min_proficiency=2") == everyone
    assert ids("category=military") == {english["id"]}
    assert ids("level=strategic&nationality=SEN") == everyone
    assert ids("available_from=2027-04-01&available_to=2027-06-30") == {fluent["id"], any_time["id"]}
    assert ids("available_from=2027-01-10&available_to=2027-02-10") == everyone
    assert ids("available_from=2029-01-10&available_to=2029-02-10") == {any_time["id"]}
    page = client.get("/experts?limit=2&offset=1", headers=hq).json()
    assert page["count"] == 4 and [e["id"] for e in page["data"]] == [english["id"], on_leave["id"]]


def test_offer_lifecycle(client, auth):
    norway = auth("member_state", "NOR")
    created = client.post("/offers", json=factories.offer(), headers=norway)
    assert created.status_code == 201, created.text
    offer = created.json()
    assert offer["state"] == "NOR" and offer["status"] == "submitted" and offer["slots_used"] == 0
    assert created.headers["location"] == f"/offers/{offer['id']}"
    stored = client.get(created.headers["location"], headers=norway)
    assert stored.json() == offer and stored.headers["etag"] == created.headers["etag"]  # the answer is what was stored
    trail = client.get(f"/audit?entity=offer&entity_id={offer['id']}", headers=auth("admin")).json()["data"]
    assert [(e["action"], e["actor_state"], e["after"]) for e in trail] == [("create", "NOR", offer)]
    renewed = client.patch(f"/offers/{offer['id']}", json={"expires_on": "2031-06-30"}, headers=norway)
    assert renewed.status_code == 200 and renewed.json()["expires_on"] == "2031-06-30"
    listed = client.get("/offers?readiness=pledged&state=NOR", headers=auth("planner")).json()
    assert [o["id"] for o in listed["data"]] == [offer["id"]]
    withdrawn = client.patch(f"/offers/{offer['id']}", json={"status": "withdrawn"}, headers=norway)
    assert withdrawn.json()["status"] == "withdrawn"


def test_offer_names_own_experts(client, auth):
    norway = auth("member_state", "NOR")
    expert = client.post("/experts", json=factories.expert(nationality="NOR"), headers=norway).json()
    assert expert["state"] == "NOR"
    offer = client.post("/offers", json=factories.offer(expert_ids=[expert["id"]]), headers=norway)
    assert offer.status_code == 201 and offer.json()["expert_ids"] == [expert["id"]]


def test_request_and_positions(client, auth):
    hq = auth("hq")
    created = client.post("/requests", json=factories.capacity_request(), headers=hq)
    assert created.status_code == 201, created.text
    request = created.json()
    assert request["status"] == "submitted" and len(request["positions"]) == 1
    assert request["positions"][0]["level"] == "strategic"  # inherited from the request
    training = factories.position(
        title="IHL trainers",
        level="tactical",
        trainees=290,
        trainer_ratio=29,
        required_skills=[{"code": "IHL-TRAINING", "min_proficiency": 3}],
    )
    added = client.post(f"/requests/{request['id']}/positions", json=training, headers=hq)
    assert added.status_code == 201 and added.json()["count"] == 10
    position_id = added.json()["id"]
    changed = client.patch(f"/requests/{request['id']}/positions/{position_id}", json={"trainees": 300}, headers=hq)
    assert changed.status_code == 200 and changed.json()["count"] == 11
    positions = client.get(f"/requests/{request['id']}/positions", headers=auth("planner")).json()
    assert positions["count"] == 2
    one = client.get(f"/requests/{request['id']}/positions/{position_id}", headers=auth("planner"))
    assert one.status_code == 200 and one.json()["trainees"] == 300
    assert client.delete(f"/requests/{request['id']}/positions/{position_id}", headers=hq).status_code == 204
    updated = client.patch(f"/requests/{request['id']}", json={"priority": 1, "status": "planning"}, headers=hq)
    assert updated.status_code == 200 and updated.json()["priority"] == 1
    assert len(updated.json()["positions"]) == 1
    listed = client.get("/requests?mission=MINUSCA&priority=1", headers=auth("planner")).json()
    assert [r["id"] for r in listed["data"]] == [request["id"]]


def test_tokens_and_audit(client, auth):
    admin = auth("admin")
    created = client.post(
        "/tokens", json={"role": "member_state", "state": "GHA", "name": "Ghana mission"}, headers=admin
    )
    assert created.status_code == 201
    token = created.json()["token"]
    ghana = {"Authorization": f"Bearer {token}"}
    assert client.get("/offers", headers=ghana).status_code == 200
    listed = client.get("/tokens", headers=admin).json()
    assert token not in str(listed) and any(t["name"] == "Ghana mission" for t in listed["data"])
    assert client.delete(f"/tokens/{created.json()['id']}", headers=admin).status_code == 200
    assert client.get("/offers", headers=ghana).status_code == 401

    expert = client.post("/experts", json=factories.expert(), headers=auth("hq")).json()
    client.patch(f"/experts/{expert['id']}", json={"notice_days": 10}, headers=auth("hq"))
    trail = client.get(f"/audit?entity=expert&entity_id={expert['id']}", headers=admin).json()
    assert [e["action"] for e in trail["data"]] == ["update", "create"]
    update = trail["data"][0]
    assert update["before"]["notice_days"] == 30 and update["after"]["notice_days"] == 10
    assert update["actor_role"] == "hq"
