"""Selection and consent (issue 18, part 4): approving a Member State's expert or offer asks the state's consent;
it confirms (→ planned) or declines (→ declined: the seat opens, the pair is never proposed again, a re-solve is
suggested), or the deadline declines for it. The database enforces the deployment's state machine."""

import threading
from datetime import date, timedelta

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, select

from schemas.enums import DEPLOYMENT_TRANSITIONS, DeploymentStatus
from service.deployments import reminders
from service.planning import worker
from service.platform.settings import get_settings
from service.platform.tables import AuditEntry, Deployment, ForbiddenPair, OutboxEvent
from tests.service import factories
from tests.service import test_planning_flow as flow
from tests.service.test_planning_flow import TODAY, _run

world = flow.world  # three Norwegian experts, a Ghanaian team, three requests
RACERS = 20
DECLINE = {"decision": "decline", "note": "our officer is needed at home"}


def _expert(client, auth, state: str | None = "NOR", **overrides) -> dict:
    headers = auth("member_state", state) if state else auth("hq")
    made = client.post("/experts", json=factories.expert(**overrides), headers=headers)
    assert made.status_code == 201, made.text
    return made.json()


def _request(client, auth, seats: int) -> dict:
    positions = [factories.position(title=f"Adviser {i}") for i in range(seats)]
    return client.post("/requests", headers=auth("hq"), json=factories.capacity_request(positions=positions)).json()


def _deploy(client, auth, engine, *experts: dict) -> list[int]:
    """Each expert approved into seat 1 of a position of its own (one request), through a plan's review."""
    request = _request(client, auth, len(experts))
    plan_id, rows = factories.stored_plan(engine, list(zip(request["positions"], [e["id"] for e in experts])))
    review = client.post(f"/plans/{plan_id}/review", json={"approve": [r.id for r in rows]}, headers=auth("planner"))
    assert review.status_code == 200, review.text
    return review.json()["deployments"]


def _events(client, headers, kind: str) -> list[dict]:
    return client.get("/events", params={"type": kind}, headers=headers).json()["data"]


def test_a_states_expert_or_offer_awaits_consent_un_staff_and_standing_capacity_do_not(client, auth, engine):
    seconded = _expert(client, auth)
    standing = _expert(client, auth, source="standing_capacity")
    un_staff = _expert(client, auth, None)
    ids = _deploy(client, auth, engine, seconded, standing, un_staff)
    hq = auth("hq")
    shown = [client.get(f"/deployments/{i}", headers=hq).json() for i in ids]
    due = (date.today() + timedelta(days=14)).isoformat()
    assert [(d["status"], d["consent_due_on"]) for d in shown] == [
        ("awaiting_consent", due),
        ("planned", None),
        ("planned", None),
    ]
    offer = client.post("/offers", json=factories.offer(), headers=auth("member_state", "NOR")).json()
    position = _request(client, auth, 1)["positions"][0]["id"]
    team = factories.deploy(engine, position, offer=offer["id"])
    assert client.get(f"/deployments/{team}", headers=hq).json()["status"] == "awaiting_consent"
    assert client.get(f"/offers/{offer['id']}", headers=hq).json()["slots_used"] == 1  # the slot is held meanwhile

    asked = _events(client, auth("member_state", "NOR"), "deployment.consent_requested")
    assert [(e["entity_id"], e["payload"]["consent_due_on"]) for e in asked] == [(str(ids[0]), due), (str(team), due)]
    assert _events(client, auth("member_state", "GHA"), "deployment.consent_requested") == []


def test_the_consent_deadline_is_a_setting(client, auth, engine, monkeypatch):
    monkeypatch.setenv("ROSTER_CONSENT_DAYS", "3")
    get_settings.cache_clear()
    try:
        (made,) = _deploy(client, auth, engine, _expert(client, auth))
    finally:
        get_settings.cache_clear()
    due = client.get(f"/deployments/{made}", headers=auth("hq")).json()["consent_due_on"]
    assert due == (date.today() + timedelta(days=3)).isoformat()


def test_the_state_confirms_its_own_selection_once(client, auth, engine):
    norway, ghana = auth("member_state", "NOR"), auth("member_state", "GHA")
    (made,) = _deploy(client, auth, engine, _expert(client, auth))
    path = f"/deployments/{made}"
    assert [d["id"] for d in client.get("/deployments?status=awaiting_consent", headers=norway).json()["data"]] == [
        made
    ]
    assert client.get("/deployments?status=awaiting_consent", headers=ghana).json()["count"] == 0
    assert client.post(f"{path}/consent", json={"decision": "confirm"}, headers=ghana).status_code == 404
    assert client.post(f"{path}/consent", json={"decision": "confirm"}, headers=auth("planner")).status_code == 403

    etag = client.get(path, headers=norway).headers["etag"]
    client.patch(path, json={"note": "moved on"}, headers=auth("planner"))
    stale = client.post(f"{path}/consent", json={"decision": "confirm"}, headers=norway | {"If-Match": etag})
    assert stale.status_code == 412
    confirmed = client.post(f"{path}/consent", json={"decision": "confirm", "note": "gladly"}, headers=norway)
    assert confirmed.status_code == 200, confirmed.text
    body = confirmed.json()
    assert (body["status"], body["consent_decided_by"], body["consent_note"]) == (
        "planned",
        "test member_state NOR",
        "gladly",
    )
    assert confirmed.headers["etag"] == client.get(path, headers=norway).headers["etag"]

    again = client.post(f"{path}/consent", json=DECLINE, headers=norway)
    assert again.status_code == 409 and f"deployment {made} is planned, not awaiting consent" in again.json()["detail"]
    events = _events(client, norway, "deployment.confirmed")
    assert [(e["entity_id"], e["payload"]["decided_by"]) for e in events] == [(str(made), "test member_state NOR")]
    with Session(engine) as session:
        (entry,) = session.exec(select(AuditEntry).where(AuditEntry.action == "confirm")).all()
    assert (entry.before["status"], entry.after["status"]) == ("awaiting_consent", "planned")


def test_a_decline_needs_a_reason_frees_the_seat_forbids_the_pair_and_suggests_a_re_solve(client, auth, engine):
    norway, hq = auth("member_state", "NOR"), auth("hq")
    expert = _expert(client, auth)
    (made,) = _deploy(client, auth, engine, expert)
    path = f"/deployments/{made}"
    shown = client.get(path, headers=hq).json()
    for body in ({"decision": "decline"}, {"decision": "decline", "note": ""}, DECLINE | {"note": "x" * 1001}):
        refused = client.post(f"{path}/consent", json=body, headers=norway)
        assert refused.status_code == 422 and refused.json()["detail"][0]["field"].endswith("note"), refused.text
    assert client.post(f"{path}/consent", json={"decision": "maybe"}, headers=norway).status_code == 422

    declined = client.post(f"{path}/consent", json=DECLINE, headers=norway)
    assert declined.status_code == 200, declined.text
    assert (declined.json()["status"], declined.json()["consent_note"]) == ("declined", DECLINE["note"])
    position = client.get(f"/requests/{shown['request_id']}/positions/{shown['position_id']}", headers=hq).json()
    assert position["filled"] == 0
    assert client.get(f"/requests/{shown['request_id']}", headers=hq).json()["status"] != "filled"
    with Session(engine) as session:
        pairs = session.exec(select(ForbiddenPair.position_id, ForbiddenPair.supplier, ForbiddenPair.plan_id)).all()
    assert pairs == [(shown["position_id"], f"E{expert['id']}", shown["plan_id"])]

    (event,) = _events(client, hq, "deployment.declined")
    assert event["state"] == "NOR" and event in _events(client, norway, "deployment.declined")
    payload = event["payload"]
    assert {k: payload[k] for k in ("deployment_id", "plan_id", "position_id", "seat", "reason", "suggestion")} == {
        "deployment_id": made,
        "plan_id": shown["plan_id"],
        "position_id": shown["position_id"],
        "seat": 1,
        "reason": DECLINE["note"],
        "suggestion": "re-solve",
    }
    assert payload["resolve_path"] == f"/plans/{shown['plan_id']}/resolve"
    # the seat is free: another supplier may be approved into it
    other = _expert(client, auth, None)
    plan_id, rows = factories.stored_plan(engine, [(position, other["id"])])
    again = client.post(f"/plans/{plan_id}/review", json={"approve": [rows[0].id]}, headers=auth("planner"))
    assert again.status_code == 200, again.text


def test_hq_records_a_states_answer_and_a_planner_may_only_cancel(client, auth, engine):
    hq, planner = auth("hq"), auth("planner")
    first, second = _deploy(client, auth, engine, _expert(client, auth), _expert(client, auth))
    for status in ("planned", "declined"):  # the state's answers, not a planner's
        jumped = client.patch(f"/deployments/{first}", json={"status": status}, headers=planner)
        assert jumped.status_code == 409 and "POST /deployments/" in jumped.json()["detail"], jumped.text
    assert client.patch(f"/deployments/{first}", json={"status": "deployed"}, headers=planner).status_code == 422
    recorded = client.post(f"/deployments/{first}/consent", json=DECLINE, headers=hq)
    assert recorded.status_code == 200 and recorded.json()["consent_decided_by"] == "test hq "
    cancelled = client.patch(f"/deployments/{second}", json={"status": "cancelled"}, headers=planner)
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    late = client.post(f"/deployments/{second}/consent", json={"decision": "confirm"}, headers=auth("admin"))
    assert late.status_code == 409 and "is cancelled" in late.json()["detail"]


def test_an_offers_decline_gives_its_slot_back(client, auth, engine):
    norway, hq = auth("member_state", "NOR"), auth("hq")
    offer = client.post("/offers", json=factories.offer(), headers=norway).json()
    team = factories.deploy(engine, _request(client, auth, 1)["positions"][0]["id"], offer=offer["id"])
    assert client.post(f"/deployments/{team}/consent", json=DECLINE, headers=norway).status_code == 200
    assert client.get(f"/offers/{offer['id']}", headers=hq).json()["slots_used"] == 0
    with Session(engine) as session:
        assert session.exec(select(ForbiddenPair.supplier)).all() == [f"O{offer['id']}"]  # as a planner's reject


def test_a_declined_pair_is_never_proposed_again(client, auth, engine, world):
    planner, norway = auth("planner"), auth("member_state", "NOR")
    plan = _run(client, engine, planner, body={"time_limit": 10, "workers": 1, "today": TODAY})
    proposals = client.get(f"/plans/{plan['id']}/assignments", headers=planner).json()["data"]
    first = next(a for a in proposals if a["supplier"]["state"] == "NOR")
    review = client.post(f"/plans/{plan['id']}/review", json={"approve": [first["id"]]}, headers=planner).json()
    (made,) = review["deployments"]
    assert client.post(f"/deployments/{made}/consent", json=DECLINE, headers=norway).status_code == 200
    (event,) = _events(client, planner, "deployment.declined")
    again = _run(client, engine, planner, path=event["payload"]["resolve_path"])
    pairs = {
        (a["position_id"], a["supplier"]["id"])
        for a in client.get(f"/plans/{again['id']}/assignments", headers=planner).json()["data"]
    }
    assert (first["position_id"], first["supplier"]["id"]) not in pairs


def test_the_deadline_declines_as_the_state_would_once(client, auth, engine):
    norway = auth("member_state", "NOR")
    late, answered = _deploy(client, auth, engine, _expert(client, auth), _expert(client, auth))
    due = date.fromisoformat(client.get(f"/deployments/{late}", headers=norway).json()["consent_due_on"])
    client.post(f"/deployments/{answered}/consent", json={"decision": "confirm"}, headers=norway)
    assert reminders.decline_overdue(engine, today=due) == 0  # the due day itself is still in time

    counted: list[int] = []
    start = threading.Barrier(2)

    def worker() -> None:
        start.wait()
        counted.append(reminders.decline_overdue(engine, today=due + timedelta(days=1)))

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(counted) == [0, 1]
    assert reminders.decline_overdue(engine, today=due + timedelta(days=30)) == 0
    shown = client.get(f"/deployments/{late}", headers=norway).json()
    assert (shown["status"], shown["consent_note"], shown["consent_decided_by"]) == (
        "declined",
        "consent deadline passed",
        "system",
    )
    assert client.get(f"/deployments/{answered}", headers=norway).json()["status"] == "planned"
    assert [e["entity_id"] for e in _events(client, norway, "deployment.declined")] == [str(late)]
    with Session(engine) as session:
        assert len(session.exec(select(ForbiddenPair)).all()) == 1


def test_twenty_simultaneous_answers_leave_one_decision(client, auth, engine, live_server):
    (made,) = _deploy(client, auth, engine, _expert(client, auth))
    headers = auth("member_state", "NOR")
    start = threading.Barrier(RACERS)
    answers: list[tuple[str, httpx.Response]] = []

    def answer(decision: str) -> None:
        body = DECLINE if decision == "decline" else {"decision": "confirm"}
        with httpx.Client(base_url=live_server, headers=headers, timeout=60) as http:
            start.wait()
            answers.append((decision, http.post(f"/deployments/{made}/consent", json=body)))

    threads = [threading.Thread(target=answer, args=(("confirm", "decline")[i % 2],)) for i in range(RACERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    statuses = sorted(r.status_code for _, r in answers)
    assert statuses == [200] + [409] * (RACERS - 1), [r.text for _, r in answers if r.status_code not in (200, 409)]
    (won,) = [d for d, r in answers if r.status_code == 200]
    final = "planned" if won == "confirm" else "declined"
    assert all(f"is {final}, not awaiting consent" in r.json()["detail"] for _, r in answers if r.status_code == 409)
    with Session(engine) as session:
        assert session.get(Deployment, made).status == final
        assert len(session.exec(select(ForbiddenPair)).all()) == (won == "decline")
        kinds = session.exec(
            select(OutboxEvent.type).where(OutboxEvent.type.in_(["deployment.confirmed", "deployment.declined"]))
        ).all()
        decisions = session.exec(select(AuditEntry.action).where(AuditEntry.action.in_(["confirm", "decline"]))).all()
    assert kinds == [f"deployment.{'confirmed' if won == 'confirm' else 'declined'}"]
    assert decisions == [won]


# --- the database's own rules -----------------------------------------------------------------------------------

REACH = {  # raw SQL that brings an awaiting_consent row to each status along allowed steps
    DeploymentStatus.awaiting_consent: [],
    DeploymentStatus.planned: ["planned"],
    DeploymentStatus.deployed: ["planned", "deployed"],
    DeploymentStatus.completed: ["planned", "deployed", "completed"],
    DeploymentStatus.cancelled: ["cancelled"],
    DeploymentStatus.declined: ["declined"],
}
DECIDED = "consent_decided_at = CURRENT_TIMESTAMP, consent_decided_by = 'sql'"


def _move(connection, deployment_id: int, status: str) -> None:
    decided = "consent_decided_at = NULL, consent_decided_by = NULL" if status == "awaiting_consent" else DECIDED
    connection.execute(
        text(f"UPDATE deployment SET status = :status, {decided} WHERE id = :id"),
        {"status": status, "id": deployment_id},
    )


def test_the_database_refuses_every_transition_the_state_machine_does_not_allow(client, auth, engine):
    experts = [_expert(client, auth) for _ in REACH]
    ids = dict(zip(REACH, _deploy(client, auth, engine, *experts)))
    with engine.begin() as connection:
        for source, steps in REACH.items():
            for step in steps:
                _move(connection, ids[source], step)
    for source in REACH:
        for target in DeploymentStatus:
            allowed = target == source or target in DEPLOYMENT_TRANSITIONS[source]
            connection = engine.connect()
            transaction = connection.begin()
            try:
                if allowed:
                    _move(connection, ids[source], target)
                else:
                    with pytest.raises(DBAPIError, match="deployment status change not allowed"):
                        _move(connection, ids[source], target)
            finally:
                transaction.rollback()
                connection.close()


def test_the_database_refuses_a_first_status_and_consent_columns_that_do_not_match(client, auth, engine):
    (made,) = _deploy(client, auth, engine, _expert(client, auth))
    copy = (
        "INSERT INTO deployment (position_id, request_id, seat, expert_id, slot, supplier_key, contributing_state, "
        "mission, start_date, end_date, status, approved_by, note, version, created_at, updated_at) "
        "SELECT position_id, request_id, seat + 1, expert_id, slot, supplier_key || 'x', contributing_state, mission, "
        "start_date, end_date, :status, approved_by, note, version, created_at, updated_at "
        "FROM deployment WHERE id = :id"
    )
    broken = {
        "awaiting_consent without a due day": "UPDATE deployment SET consent_due_on = NULL WHERE id = :id",
        "declined without a decision": "UPDATE deployment SET status = 'declined' WHERE id = :id",
        "a decision without its author": "UPDATE deployment SET consent_decided_at = CURRENT_TIMESTAMP WHERE id = :id",
    }
    for status in ("deployed", "completed", "cancelled", "declined"):
        with pytest.raises(DBAPIError, match="deployment status change not allowed"), engine.begin() as connection:
            connection.execute(text(copy), {"status": status, "id": made})
    for what, sql in broken.items():
        with pytest.raises(DBAPIError, match=r"ck_deployment_|CHECK constraint"), engine.begin() as connection:
            connection.execute(text(sql), {"id": made})
            pytest.fail(f"{what} was accepted")
    with engine.begin() as connection:  # planned is a first status too (no consent asked)
        connection.execute(text(copy), {"status": "planned", "id": made})


def test_the_workers_round_applies_the_deadline(client, auth, engine):
    (late,) = _deploy(client, auth, engine, _expert(client, auth))
    with engine.begin() as connection:  # asked three weeks ago, due a week ago
        connection.execute(
            text("UPDATE deployment SET consent_due_on = :due WHERE id = :id"),
            {"due": date.today() - timedelta(days=7), "id": late},
        )
    worker.tick(engine, "consent-test", lease_seconds=30, reminder_days=30)
    shown = client.get(f"/deployments/{late}", headers=auth("hq")).json()
    assert (shown["status"], shown["consent_decided_by"]) == ("declined", "system")
