"""Credential reminders (issue 19, point 4): one ``credential.expiring`` event per credential of a deployed or
nominated expert or offer that expires within ``credential_reminder_days``; a renewal re-arms it; the owning
state and HQ see it, no other state."""

from datetime import date, timedelta

from sqlmodel import Session, select

from service.deployments import expiring
from service.planning import worker
from service.platform.tables import Credential
from tests.service import factories

TODAY = date.today()
SOON = (TODAY + timedelta(days=30)).isoformat()
EVENT = "credential.expiring"


def _held(medical: str) -> list[dict]:
    """The default credentials, with the medical clearance expiring on ``medical``."""
    others = [c for c in factories.credentials(*factories.HELD) if c["code"] != "MEDICAL"]
    return [*others, {"code": "MEDICAL", "expires_on": medical}]


def _expert(client, auth, state: str | None, medical: str = SOON, **overrides) -> dict:
    headers = auth("member_state", state) if state else auth("hq")
    made = client.post("/experts", json=factories.expert(credentials=_held(medical), **overrides), headers=headers)
    assert made.status_code == 201, made.text
    return made.json()


def _positions(client, auth, seats: int) -> tuple[int, list[int]]:
    positions = [factories.position(title=f"Adviser {i}") for i in range(seats)]
    made = client.post("/requests", headers=auth("hq"), json=factories.capacity_request(positions=positions))
    assert made.status_code == 201, made.text
    return made.json()["id"], [p["id"] for p in made.json()["positions"]]


def _events(client, headers) -> list[dict]:
    answer = client.get("/events", params={"type": EVENT}, headers=headers)
    assert answer.status_code == 200, answer.text
    return answer.json()["data"]


def test_deployed_and_nominated_suppliers_are_reminded_once_each_by_their_own_state(client, auth, engine):
    deployed = _expert(client, auth, "NOR", full_name="Ingrid Deployed")
    nominated = _expert(client, auth, "GHA", full_name="Kofi Nominated", nationality="GHA")
    idle = _expert(client, auth, "NOR", full_name="Idle Expert")  # neither deployed nor nominated
    later = _expert(client, auth, "NOR", full_name="Later Expert", medical=(TODAY + timedelta(days=61)).isoformat())
    team = client.post(
        "/offers",
        json=factories.offer(credentials=[*_held("2026-01-05"), {"code": "HR-SCREENING", "expires_on": SOON}]),
        headers=auth("member_state", "NOR"),
    ).json()
    request_id, (p1, p2, p3, p4, p5) = _positions(client, auth, 5)
    deployment = factories.deploy(engine, p1, expert=deployed["id"])
    factories.deploy(engine, p2, expert=later["id"])
    call = factories.call(engine, request_id, [p3, p4, p5])
    nomination = factories.nominate(engine, call, p3, expert=nominated["id"])
    team_nomination = factories.nominate(engine, call, p4, offer=team["id"])

    assert expiring.emit_expiring(engine) == 4  # two experts' medical clearances, the team's two attestations
    assert expiring.emit_expiring(engine) == 0  # once per credential

    everything = _events(client, auth("hq"))
    assert sorted((e["payload"]["supplier"], e["payload"]["code"]) for e in everything) == [
        (f"E{deployed['id']}", "MEDICAL"),
        (f"E{nominated['id']}", "MEDICAL"),
        (f"O{team['id']}", "HR-SCREENING"),
        (f"O{team['id']}", "MEDICAL"),
    ]
    assert not any(e["payload"]["supplier"] in (f"E{idle['id']}", f"E{later['id']}") for e in everything)

    norway = _events(client, auth("member_state", "NOR"))
    assert {e["payload"]["supplier"] for e in norway} == {f"E{deployed['id']}", f"O{team['id']}"}
    (ghana,) = _events(client, auth("member_state", "GHA"))
    assert ghana["state"] == "GHA" and ghana["entity"] == "credential"
    assert ghana["payload"]["supplier_name"] == "Kofi Nominated" and ghana["payload"]["name"] == "medical clearance"
    assert ghana["payload"]["needed_for"] == [
        {"nomination_id": nomination, "call_id": call, "position_id": p3, "end_date": "2027-12-31"}
    ]
    assert ghana["payload"]["detail"] == (
        f"The medical clearance of Kofi Nominated expires on {SOON}; needed for nomination {nomination} (position {p3})"
    )
    assert _events(client, auth("member_state", "SEN")) == []

    (ingrid,) = [e for e in norway if e["payload"]["supplier"] == f"E{deployed['id']}"]
    assert ingrid["payload"]["needed_for"][0]["deployment_id"] == deployment
    assert ingrid["payload"]["expires_on"] == SOON
    (lapsed,) = [e for e in norway if e["payload"]["code"] == "MEDICAL" and e["payload"]["supplier"].startswith("O")]
    assert lapsed["payload"]["detail"].startswith(
        f"The medical clearance attested for offer {team['title']!r} expired on 2026-01-05; needed for nomination "
        f"{team_nomination}"
    )


def test_a_renewal_rearms_the_reminder(client, auth, engine):
    expert = _expert(client, auth, "NOR")
    _, (position,) = _positions(client, auth, 1)
    factories.deploy(engine, position, expert=expert["id"])
    assert expiring.emit_expiring(engine) == 1

    renewed = (TODAY + timedelta(days=50)).isoformat()  # renewed, but still within the 60 days
    headers = auth("member_state", "NOR")
    changed = client.patch(f"/experts/{expert['id']}", json={"credentials": _held(renewed)}, headers=headers)
    assert changed.status_code == 200, changed.text
    assert expiring.emit_expiring(engine) == 1
    assert expiring.emit_expiring(engine) == 0
    assert [e["payload"]["expires_on"] for e in _events(client, headers)] == [SOON, renewed]

    far = (TODAY + timedelta(days=400)).isoformat()
    changed = client.patch(f"/experts/{expert['id']}", json={"credentials": _held(far)}, headers=headers)
    assert changed.status_code == 200, changed.text
    assert expiring.emit_expiring(engine) == 0
    assert expiring.emit_expiring(engine, today=TODAY + timedelta(days=345)) == 1  # 55 days before the new expiry


def test_a_withdrawn_nomination_or_an_ended_deployment_needs_no_reminder(client, auth, engine):
    expert = _expert(client, auth, "NOR")
    request_id, (position,) = _positions(client, auth, 1)
    call = factories.call(engine, request_id, [position])
    nomination = factories.nominate(engine, call, position, expert=expert["id"])
    withdrawn = client.post(f"/nominations/{nomination}/withdraw", headers=auth("member_state", "NOR"))
    assert withdrawn.status_code == 200, withdrawn.text
    assert expiring.emit_expiring(engine) == 0

    deployment = factories.deploy(engine, position, expert=expert["id"])
    cancelled = client.patch(f"/deployments/{deployment}", json={"status": "cancelled"}, headers=auth("planner"))
    assert cancelled.status_code == 200, cancelled.text
    assert expiring.emit_expiring(engine) == 0
    with Session(engine) as session:
        assert {c.reminded_for for c in session.exec(select(Credential))} == {None}


def test_un_staff_are_hqs_alone_and_the_setting_sets_the_window(client, auth, engine, monkeypatch):
    staff = _expert(client, auth, None, medical=(TODAY + timedelta(days=80)).isoformat(), source="roster")
    _, (position,) = _positions(client, auth, 1)
    factories.deploy(engine, position, expert=staff["id"])
    assert expiring.emit_expiring(engine) == 0  # 80 days: outside the default 60
    assert expiring.emit_expiring(engine, within_days=90) == 1
    (event,) = _events(client, auth("hq"))
    assert event["state"] is None
    assert _events(client, auth("member_state", "NOR")) == []


def test_the_workers_round_sends_the_reminders(client, auth, engine):
    expert = _expert(client, auth, "NOR")
    _, (position,) = _positions(client, auth, 1)
    factories.deploy(engine, position, expert=expert["id"])
    worker.tick(engine, "credential-test", lease_seconds=30, reminder_days=30)
    (event,) = _events(client, auth("member_state", "NOR"))
    assert event["payload"]["supplier"] == f"E{expert['id']}"
