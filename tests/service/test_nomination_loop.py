"""The loop as the UN runs it with Member States, end to end over HTTP (issue 18): HQ opens a call, three states
nominate, HQ records the interview, a plan on nominations proposes the nominees, a planner approves, one state
confirms (planned), one declines (the seat opens, the pair is forbidden, a re-solve is suggested) and the third
lets the deadline pass (declined by the worker's pass). Runs on SQLite, and on PostgreSQL when configured."""

import threading
from datetime import date, timedelta

import httpx
from sqlmodel import Session, col, select

from schemas.enums import NominationStatus
from service.deployments import reminders
from service.planning import jobs
from service.platform.tables import Deployment, ForbiddenPair, Nomination, OutboxEvent, PlanAssignment
from service.seeding import seed_demo, seed_process_demo
from tests.service import factories

TODAY = "2027-01-04"  # the plan's date: the positions start in March 2027
STATES = ("NOR", "FRA", "SEN")


def _ok(answer, status: int = 200) -> dict:
    assert answer.status_code == status, answer.text
    return answer.json()


def _plan(client, engine, planner: dict, path: str, body: dict) -> dict:
    queued = _ok(client.post(path, json=body, headers=planner), 202)
    assert jobs.work_once(engine, "test-worker") == queued["id"]
    plan = _ok(client.get(f"/plans/{queued['id']}", headers=planner))
    assert plan["status"] == "succeeded", plan["error"]
    return plan


def _world(client, auth) -> dict:
    """HQ's request of three police advisers who must pass an interview; each state's expert who fits them all, and
    a UN staff member who fits them too but is nominated by no one."""
    hq = auth("hq")
    positions = [factories.position(title=f"Police adviser {n}", assessment_stages=["interview"]) for n in "ABC"]
    request = _ok(client.post("/requests", json=factories.capacity_request(positions=positions), headers=hq), 201)
    experts = {
        s: _ok(client.post("/experts", json=factories.expert(nationality=s), headers=auth("member_state", s)), 201)
        for s in STATES
    }
    _ok(client.post("/experts", json=factories.expert(full_name="Una Staff"), headers=hq), 201)
    return {"request": request, "positions": [p["id"] for p in request["positions"]], "experts": experts}


def test_call_nominate_assess_plan_approve_consent(client, auth, engine):
    hq, planner = auth("hq"), auth("planner")
    world = _world(client, auth)
    positions, experts = world["positions"], world["experts"]

    # HQ opens a call on the three positions, to every Member State
    deadline = (date.today() + timedelta(days=10)).isoformat()
    body = {"request_id": world["request"]["id"], "position_ids": positions, "deadline": deadline, "note": "Q1"}
    call = _ok(client.post("/calls", json=body, headers=hq), 201)
    for state in STATES:
        assert [c["id"] for c in _ok(client.get("/calls", headers=auth("member_state", state)))["data"]] == [call["id"]]

    # each state nominates its expert for one position; each sees only its own nomination
    nominations = {}
    for state, position in zip(STATES, positions, strict=True):
        nominee = {"position_id": position, "expert_id": experts[state]["id"], "note": f"{state} candidate"}
        made = client.post(f"/calls/{call['id']}/nominations", json=nominee, headers=auth("member_state", state))
        nominations[state] = _ok(made, 201)["id"]
    for state in STATES:
        seen = _ok(client.get("/nominations", headers=auth("member_state", state)))["data"]
        assert [n["id"] for n in seen] == [nominations[state]]

    # HQ records the interview each nominee passed
    for state in STATES:
        result = {"stage": "interview", "result": "passed", "assessed_on": date.today().isoformat(), "assessor": "SAAT"}
        _ok(client.post(f"/nominations/{nominations[state]}/stages", json=result, headers=hq), 201)

    # a plan on nominations proposes each nominee for the position it was nominated for, never the UN staff member
    plan = _plan(client, engine, planner, "/plans", {"today": TODAY, "time_limit": 10, "candidates": "nominations"})
    rows = _ok(client.get(f"/plans/{plan['id']}/assignments", headers=planner))["data"]
    proposed = {a["position_id"]: a["supplier"]["id"] for a in rows}
    assert proposed == {p: f"E{experts[s]['id']}" for s, p in zip(STATES, positions, strict=True)}

    # the planner approves all three: each awaits its state's consent, and each nomination is selected
    review = _ok(client.post(f"/plans/{plan['id']}/review", json={"approve": [a["id"] for a in rows]}, headers=planner))
    deployments = dict(zip(STATES, review["deployments"], strict=True))
    for state in STATES:
        shown = _ok(client.get(f"/deployments/{deployments[state]}", headers=auth("member_state", state)))
        assert shown["status"] == "awaiting_consent"
        mine = _ok(client.get(f"/nominations/{nominations[state]}", headers=auth("member_state", state)))
        assert mine["status"] == "selected" and mine["deployment_status"] == "awaiting_consent"

    # Norway confirms: planned
    confirm = {"decision": "confirm", "note": ""}
    norway = auth("member_state", "NOR")
    assert _ok(client.post(f"/deployments/{deployments['NOR']}/consent", json=confirm, headers=norway))["status"] == (
        "planned"
    )

    # France declines: the seat opens, the pair is forbidden, the planners are told to re-solve
    decline = {"decision": "decline", "note": "needed at home"}
    france = auth("member_state", "FRA")
    assert _ok(client.post(f"/deployments/{deployments['FRA']}/consent", json=decline, headers=france))["status"] == (
        "declined"
    )
    told = _ok(client.get("/events", params={"type": "deployment.declined"}, headers=planner))["data"]
    assert [(e["entity_id"], e["payload"]["suggestion"]) for e in told] == [(str(deployments["FRA"]), "re-solve")]

    # Senegal lets the deadline pass: the worker's pass declines for it, as a decline would
    assert reminders.decline_overdue(engine, today=date.today() + timedelta(days=15)) == 1
    senegal = auth("member_state", "SEN")
    assert _ok(client.get(f"/deployments/{deployments['SEN']}", headers=senegal))["status"] == "declined"

    # each state reads on its nomination how its selection stands
    for state, outcome in (("NOR", "planned"), ("FRA", "declined"), ("SEN", "declined")):
        mine = _ok(client.get(f"/nominations/{nominations[state]}", headers=auth("member_state", state)))
        assert (mine["deployment_id"], mine["deployment_status"]) == (deployments[state], outcome)

    # the re-solve leaves Norway's seat to its deployment, and proposes neither declined pair again: no one else
    # was nominated, and the explanation says why
    again = _plan(client, engine, planner, f"/plans/{plan['id']}/resolve", {})
    assert _ok(client.get(f"/plans/{again['id']}/assignments", headers=planner))["data"] == []
    unfilled = _ok(client.get(f"/plans/{again['id']}/unfilled", headers=planner))["data"]
    assert sorted(u["position_id"] for u in unfilled) == sorted(positions[1:])
    for u in unfilled:
        assert "were not nominated for this position" in u["reason"], u["reason"]
        assert "declined by their Member State" in u["reason"], u["reason"]
    seats = _ok(client.get("/deployments", params={"request_id": world["request"]["id"]}, headers=hq))["data"]
    assert sorted(d["status"] for d in seats) == ["declined", "declined", "planned"]


# --- races ------------------------------------------------------------------------------------------------------

RACERS = 20


def _selected(
    client, auth, engine, *, approve: bool = True, stages: list[str] | None = None, provisional: bool = False
) -> tuple[int, int, int]:
    """Norway's expert nominated through a call for a seat of a plan on nominations (and approved, if asked): the
    nomination, the plan's assignment and, once approved, the deployment awaiting Norway's consent."""
    expert = _ok(
        client.post("/experts", json=factories.expert(nationality="NOR"), headers=auth("member_state", "NOR")), 201
    )
    wanted = factories.capacity_request(positions=[factories.position(assessment_stages=stages or [])])
    request = _ok(client.post("/requests", json=wanted, headers=auth("hq")), 201)
    position = request["positions"][0]
    nomination = factories.nominate(
        engine, factories.call(engine, request["id"], [position["id"]]), position["id"], expert=expert["id"]
    )
    parameters = {"candidates": "both", "provisional": provisional}
    plan_id, (row,) = factories.stored_plan(engine, [(position, expert["id"])], parameters)
    if not approve:
        return nomination, row.id, 0
    review = _ok(client.post(f"/plans/{plan_id}/review", json={"approve": [row.id]}, headers=auth("planner")))
    return nomination, row.id, review["deployments"][0]


def _together(calls: list) -> list:
    """Every call at once (threads released together); their answers in the order of ``calls``."""
    start, answers = threading.Barrier(len(calls)), [None] * len(calls)

    def run(i: int) -> None:
        start.wait()
        answers[i] = calls[i]()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return answers


def _post(server: str, headers: dict, path: str, body: dict | None = None):
    """A POST to send later, from its own client (its own connection)."""

    def send() -> httpx.Response:
        with httpx.Client(base_url=server, headers=headers, timeout=60) as http:
            return http.post(path, json=body)

    return send


def test_twenty_confirm_decline_withdraw_on_a_selected_nomination_leave_one_outcome(client, auth, engine, live_server):
    nomination, _, deployment = _selected(client, auth, engine)
    norway = auth("member_state", "NOR")
    consent = f"/deployments/{deployment}/consent"
    acts = {
        "confirm": _post(live_server, norway, consent, {"decision": "confirm"}),
        "decline": _post(live_server, norway, consent, {"decision": "decline", "note": "needed at home"}),
        "withdraw": _post(live_server, norway, f"/nominations/{nomination}/withdraw"),
    }
    kinds = [("confirm", "decline", "withdraw")[i % 3] for i in range(RACERS)]
    answers = list(zip(kinds, _together([acts[k] for k in kinds]), strict=True))
    assert all(r.status_code in (200, 409) for _, r in answers), [r.text for _, r in answers]
    (won,) = [kind for kind, r in answers if r.status_code == 200]
    assert won in ("confirm", "decline")  # a selected nomination is answered by consent, never withdrawn
    final = {"confirm": "planned", "decline": "declined"}[won]
    with Session(engine) as session:
        assert session.get(Deployment, deployment).status == final
        assert session.get(Nomination, nomination).status == NominationStatus.selected
        assert len(session.exec(select(ForbiddenPair)).all()) == (won == "decline")
        answered = session.exec(select(OutboxEvent.type).where(col(OutboxEvent.type).in_(ANSWERS))).all()
    assert answered == [f"deployment.{'confirmed' if won == 'confirm' else 'declined'}"]


ANSWERS = ["deployment.confirmed", "deployment.declined", "nomination.withdrawn"]


def test_a_withdrawal_and_an_approval_at_once_never_deploy_a_withdrawn_nominee(client, auth, engine, live_server):
    for _ in range(3):  # the two orders both happen over a few rounds; each must end consistent
        nomination, row, _ = _selected(client, auth, engine, approve=False)
        withdrawn, approved = _together(
            [
                _post(live_server, auth("member_state", "NOR"), f"/nominations/{nomination}/withdraw"),
                _post(live_server, auth("planner"), f"/plans/{_plan_of(engine, row)}/review", {"approve": [row]}),
            ]
        )
        with Session(engine) as session:
            status = session.get(Nomination, nomination).status
            live = session.exec(select(Deployment).where(Deployment.assignment_id == row)).all()
        if withdrawn.status_code == 200:
            assert approved.status_code == 409 and status == NominationStatus.withdrawn and live == [], approved.text
        else:
            assert approved.status_code == 200 and status == NominationStatus.selected and len(live) == 1


def _plan_of(engine, assignment: int) -> int:
    with Session(engine) as session:
        return session.get(PlanAssignment, assignment).plan_id


def test_a_stage_failed_after_approval_puts_the_deployment_at_risk_at_once(client, auth, engine):
    """A provisional plan's nominee, approved before the interview; HQ then records that it failed."""
    nomination, _, deployment = _selected(client, auth, engine, stages=["interview"], provisional=True)
    hq = auth("hq")
    assert _ok(client.get(f"/deployments/{deployment}", headers=hq))["at_risk"] is None
    result = {"stage": "interview", "result": "failed", "assessed_on": date.today().isoformat(), "assessor": "panel"}
    _ok(client.post(f"/nominations/{nomination}/stages", json=result, headers=hq), 201)
    risks = _ok(client.get(f"/deployments/{deployment}", headers=hq))["at_risk"]
    assert risks and "failed the interview" in str(risks), risks


def test_the_demo_shows_states_a_call_and_hq_a_states_request(client, auth, engine):
    with Session(engine) as session:
        seed_demo(session, experts=40, offers=4, requests=4)
        first = seed_process_demo(session, today=date(2027, 1, 4))
        again = seed_process_demo(session, today=date(2027, 1, 4))
    assert [c.added for c in first.values()] == [1, 1] and [c.added for c in again.values()] == [0, 0]
    (call,) = _ok(client.get("/calls", headers=auth("member_state", "FRA")))["data"]
    assert call["deadline"] == "2027-01-25" and call["status"] == "open"
    asked = _ok(client.get("/requests", params={"status": "proposed"}, headers=auth("hq")))["data"]
    assert [(r["requested_by_state"], r["mission"]) for r in asked] == [("SLE", None)]
    assert (
        _ok(client.get("/requests", params={"status": "proposed"}, headers=auth("member_state", "NOR")))["data"] == []
    )
