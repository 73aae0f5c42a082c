"""Calls for nominations (issue 18, parts 1 and 2): HQ opens a call on a request's positions, invited Member
States nominate their own experts or offers by the deadline and may withdraw them, HQ records assessment stages
and turns nominations down; every change audited and sent as an event, and no state learns about another's."""

import threading
from datetime import date, timedelta

import httpx
import pytest
from sqlalchemy import update
from sqlmodel import Session, select

from service.nominations import deadlines
from service.nominations import repository as repo
from service.platform.tables import AuditEntry, Nomination, NominationCall, utcnow
from tests.service import factories

TODAY = date.today()
SOON = (TODAY + timedelta(days=14)).isoformat()
STAGES = ["interview", "language_test"]
RACERS = 20


@pytest.fixture
def norway(auth):
    return auth("member_state", "NOR")


@pytest.fixture
def ghana(auth):
    return auth("member_state", "GHA")


@pytest.fixture
def hq(auth):
    return auth("hq")


@pytest.fixture
def request_(client, hq) -> dict:
    """An open request: a position requiring an interview and a language test, and one requiring no stage."""
    body = factories.capacity_request(
        positions=[factories.position(assessment_stages=STAGES), factories.position(title="Police trainer")]
    )
    made = client.post("/requests", json=body, headers=hq)
    assert made.status_code == 201, made.text
    return made.json()


def _call(client, headers, request_: dict, **overrides) -> dict:
    body = {"request_id": request_["id"], "position_ids": [p["id"] for p in request_["positions"]], "deadline": SOON}
    made = client.post("/calls", json=body | overrides, headers=headers)
    assert made.status_code == 201, made.text
    return made.json()


def _expert(client, headers, **overrides) -> dict:
    made = client.post("/experts", json=factories.expert(**overrides), headers=headers)
    assert made.status_code == 201, made.text
    return made.json()


def _offer(client, headers, **overrides) -> dict:
    made = client.post("/offers", json=factories.offer(**overrides), headers=headers)
    assert made.status_code == 201, made.text
    return made.json()


def _nominate(client, headers, call: dict, position: int, **supplier) -> dict:
    made = client.post(f"/calls/{call['id']}/nominations", json={"position_id": position, **supplier}, headers=headers)
    assert made.status_code == 201, made.text
    return made.json()


def _problem(response, status: int) -> str:
    assert response.status_code == status, response.text
    detail = response.json()["detail"]
    return detail if isinstance(detail, str) else " ".join(f"{d['field']}: {d['message']}" for d in detail)


def _events(client, headers, *types: str) -> list[dict]:
    return client.get("/events", params={"type": list(types), "limit": 500}, headers=headers).json()["data"]


def _set_deadline(engine, call_id: int, day: date) -> None:
    with Session(engine) as session:
        session.execute(update(NominationCall).where(NominationCall.id == call_id).values(deadline=day))
        session.commit()


# --- Calls ------------------------------------------------------------------------------------------------


def test_staff_open_calls_and_each_state_sees_only_the_calls_it_is_invited_to(
    client, auth, hq, norway, ghana, request_
):
    first, second = (p["id"] for p in request_["positions"])
    listed = _call(client, hq, request_, states=["NOR", "SEN"], note="police advisers", position_ids=[first])
    assert listed["status"] == "open" and listed["all_states"] is False and listed["states"] == ["NOR", "SEN"]
    assert listed["position_ids"] == [first]
    assert listed["request_title"] == request_["title"] and listed["opened_by"] == "test hq "
    everyone = _call(client, auth("planner"), request_, position_ids=[second])
    assert everyone["all_states"] is True and everyone["states"] is None
    again = client.post(
        "/calls", json={"request_id": request_["id"], "position_ids": [second], "deadline": SOON}, headers=hq
    )
    assert f"already in an open call: position {second} (call {everyone['id']})" in _problem(again, 409)
    other = client.post("/requests", json=factories.capacity_request(), headers=hq).json()
    _call(client, auth("admin"), other)

    seen = client.get(f"/calls/{listed['id']}", headers=norway).json()
    assert seen["states"] == ["NOR"] and seen["all_states"] is False  # not who else is on the list
    assert [c["id"] for c in client.get("/calls", headers=norway).json()["data"]] == [
        everyone["id"] + 1,
        everyone["id"],
        listed["id"],
    ]
    hidden, missing = client.get(f"/calls/{listed['id']}", headers=ghana), client.get("/calls/999999", headers=ghana)
    assert _problem(hidden, 404).replace(str(listed["id"]), "N") == _problem(missing, 404).replace("999999", "N")
    ghana_sees = client.get("/calls", headers=ghana).json()
    assert ghana_sees["count"] == 2 and listed["id"] not in {c["id"] for c in ghana_sees["data"]}
    assert client.get(f"/calls?request_id={request_['id']}", headers=hq).json()["count"] == 2

    assert client.post(f"/calls/{listed['id']}/close", headers=hq).json()["status"] == "closed"
    assert listed["id"] not in {c["id"] for c in client.get("/calls", headers=norway).json()["data"]}
    assert client.get("/calls?status=closed", headers=hq).json()["count"] == 1
    assert _call(client, hq, request_, position_ids=[first])["status"] == "open"  # once closed, a new call may go


def test_a_call_names_positions_of_its_request_a_deadline_ahead_and_states_that_exist(client, hq, request_):
    other = client.post("/requests", json=factories.capacity_request(), headers=hq).json()
    ours = [p["id"] for p in request_["positions"]]
    base = {"request_id": request_["id"], "position_ids": ours, "deadline": SOON}

    def refused(status: int, **change) -> str:
        return _problem(client.post("/calls", json=base | change, headers=hq), status)

    assert "are not positions of request" in refused(422, position_ids=[ours[0], other["positions"][0]["id"]])
    assert "position_ids" in refused(422, position_ids=[])
    assert "more than once" in refused(422, position_ids=[ours[0], ours[0]])
    yesterday = (TODAY - timedelta(days=1)).isoformat()
    assert f"deadline {yesterday} is in the past" in refused(422, deadline=yesterday)
    assert "XXX" in refused(422, states=["NOR", "XXX"])
    assert "more than once" in refused(422, states=["NOR", "NOR"])
    assert "states" in refused(422, states=[])
    assert "does not exist" in refused(422, request_id=999999)
    draft = client.post("/requests", json=factories.capacity_request(status="draft"), headers=hq).json()
    assert "is draft" in refused(409, request_id=draft["id"], position_ids=[draft["positions"][0]["id"]])
    today = client.post("/calls", json=base | {"deadline": TODAY.isoformat()}, headers=hq)
    assert today.status_code == 201


def test_an_open_call_is_closed_or_cancelled_once_and_the_invited_states_are_told(client, hq, norway, ghana, request_):
    first, second = (p["id"] for p in request_["positions"])
    listed = _call(client, hq, request_, states=["NOR"], position_ids=[first])
    everyone = _call(client, hq, request_, position_ids=[second])
    assert client.post(f"/calls/{listed['id']}/cancel", json={"reason": ""}, headers=hq).status_code == 422
    cancelled = client.post(f"/calls/{listed['id']}/cancel", json={"reason": "request stood down"}, headers=hq)
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert cancelled.json()["closed_by"] == "test hq " and cancelled.json()["closed_at"]
    assert "already cancelled" in _problem(client.post(f"/calls/{listed['id']}/close", headers=hq), 409)
    assert client.post(f"/calls/{everyone['id']}/close", headers=hq).status_code == 200
    assert "already closed" in _problem(client.post(f"/calls/{everyone['id']}/close", headers=hq), 409)

    norway_sees = [
        (e["type"], e["payload"]["call_id"], e["payload"].get("reason"))
        for e in _events(client, norway, "call.opened", "call.closed")
    ]
    assert norway_sees == [
        ("call.opened", listed["id"], None),
        ("call.opened", everyone["id"], None),
        ("call.closed", listed["id"], "request stood down"),
        ("call.closed", everyone["id"], None),
    ]
    ghana_sees = [(e["type"], e["payload"]["call_id"]) for e in _events(client, ghana, "call.opened", "call.closed")]
    assert ghana_sees == [("call.opened", everyone["id"]), ("call.closed", everyone["id"])]
    assert all("states" not in e["payload"] for e in _events(client, hq, "call.opened", "call.closed"))


def test_a_listed_call_tells_each_invited_state_apart_and_names_no_other(client, hq, norway, ghana, auth, request_):
    call = _call(client, hq, request_, states=["NOR", "GHA"])
    for headers, state in ((norway, "NOR"), (ghana, "GHA")):
        seen = _events(client, headers, "call.opened")
        assert [(e["state"], e["payload"]["call_id"]) for e in seen] == [(state, call["id"])]
        assert "NOR" not in str(seen[0]["payload"]) or state == "NOR"
        assert "GHA" not in str(seen[0]["payload"]) or state == "GHA"
    assert _events(client, auth("member_state", "SEN"), "call.opened") == []


def test_the_worker_closes_calls_whose_deadline_has_passed(client, engine, hq, norway, request_):
    first, second = (p["id"] for p in request_["positions"])
    due = _call(client, hq, request_, states=["NOR"], position_ids=[first])
    later = _call(client, hq, request_, deadline=(TODAY + timedelta(days=30)).isoformat(), position_ids=[second])
    assert deadlines.close_due_calls(engine, today=TODAY + timedelta(days=14)) == 0  # the deadline day itself counts
    assert deadlines.close_due_calls(engine, today=TODAY + timedelta(days=15)) == 1
    assert deadlines.close_due_calls(engine, today=TODAY + timedelta(days=15)) == 0
    closed = client.get(f"/calls/{due['id']}", headers=hq).json()
    assert closed["status"] == "closed" and closed["closed_by"] == deadlines.WORKER
    assert client.get(f"/calls/{later['id']}", headers=hq).json()["status"] == "open"
    told = _events(client, norway, "call.closed")
    assert [(e["payload"]["call_id"], e["payload"]["reason"]) for e in told] == [(due["id"], "deadline passed")]
    with Session(engine) as session:
        trail = session.exec(select(AuditEntry).where(AuditEntry.entity == "nomination_call")).all()
    assert [(e.action, e.entity_id) for e in trail][-1] == ("close", str(due["id"]))


# --- Nominations ------------------------------------------------------------------------------------------


def test_a_state_nominates_its_own_active_experts_and_live_offers_once_per_position(
    client, hq, norway, ghana, request_
):
    call = _call(client, hq, request_)
    first, second = (p["id"] for p in request_["positions"])
    expert, offer = _expert(client, norway, nationality="NOR"), _offer(client, norway)
    made = _nominate(client, norway, call, first, expert_id=expert["id"], note="speaks French")
    assert made["state"] == "NOR" and made["status"] == "nominated" and made["supplier_key"] == f"E{expert['id']}"
    assert made["supplier_name"] == expert["full_name"] and made["created_by"] == "test member_state NOR"
    assert made["stages"] == [
        {"stage": "interview", "result": None, "assessed_on": None},
        {"stage": "language_test", "result": None, "assessed_on": None},
    ]
    by_offer = _nominate(client, norway, call, second, offer_id=offer["id"])
    assert by_offer["supplier_key"] == f"O{offer['id']}" and by_offer["stages"] == []

    post = lambda body, headers=norway: client.post(f"/calls/{call['id']}/nominations", json=body, headers=headers)  # noqa: E731
    again = post({"position_id": first, "expert_id": expert["id"]})
    assert "already nominated for position" in _problem(again, 409)
    assert _nominate(client, norway, call, second, expert_id=expert["id"])["status"] == "nominated"
    other_request = client.post("/requests", json=factories.capacity_request(), headers=hq).json()
    stranger = other_request["positions"][0]["id"]
    assert f"position {stranger} is not in call" in _problem(
        post({"position_id": stranger, "expert_id": expert["id"]}), 422
    )
    both = post({"position_id": first, "expert_id": expert["id"], "offer_id": offer["id"]})
    assert both.status_code == 422
    assert post({"position_id": first}).status_code == 422

    ghanaian = _expert(client, ghana, nationality="GHA")
    foreign, missing = (
        post({"position_id": first, "expert_id": ghanaian["id"]}),
        post({"position_id": first, "expert_id": 999999}),
    )
    assert _problem(foreign, 404).replace(str(ghanaian["id"]), "N") == _problem(missing, 404).replace("999999", "N")
    ghana_offer = _offer(client, ghana)
    assert post({"position_id": first, "offer_id": ghana_offer["id"]}).status_code == 404

    retired = _expert(client, norway, nationality="NOR")
    assert client.delete(f"/experts/{retired['id']}", headers=norway).status_code == 204
    assert "inactive" in _problem(post({"position_id": first, "expert_id": retired["id"]}), 409)
    gone = _offer(client, norway)
    assert client.patch(f"/offers/{gone['id']}", json={"status": "withdrawn"}, headers=norway).status_code == 200
    assert "is withdrawn" in _problem(post({"position_id": first, "offer_id": gone["id"]}), 409)
    draft = _offer(client, norway, status="draft")
    assert "is a draft: submit it" in _problem(post({"position_id": first, "offer_id": draft["id"]}), 409)
    assert (
        client.post(
            f"/calls/{call['id']}/nominations", json={"position_id": first, "expert_id": expert["id"]}, headers=hq
        ).status_code
        == 403
    )


def test_only_invited_states_nominate_and_only_until_the_deadline(client, engine, hq, norway, ghana, request_):
    call = _call(client, hq, request_, states=["NOR"])
    position = request_["positions"][0]["id"]
    ghanaian = _expert(client, ghana, nationality="GHA")
    uninvited = client.post(
        f"/calls/{call['id']}/nominations", json={"position_id": position, "expert_id": ghanaian["id"]}, headers=ghana
    )
    assert _problem(uninvited, 404) == f"call {call['id']} not found"

    expert, spare = _expert(client, norway, nationality="NOR"), _expert(client, norway, nationality="NOR")
    made = _nominate(client, norway, call, position, expert_id=expert["id"])
    _set_deadline(engine, call["id"], TODAY - timedelta(days=1))
    late = client.post(
        f"/calls/{call['id']}/nominations", json={"position_id": position, "expert_id": spare["id"]}, headers=norway
    )
    assert "the deadline of call" in _problem(late, 409)
    withdraw_late = client.post(f"/nominations/{made['id']}/withdraw", headers=norway)
    assert "can no longer be withdrawn" in _problem(withdraw_late, 409)

    _set_deadline(engine, call["id"], TODAY)
    assert client.post(f"/calls/{call['id']}/close", headers=hq).status_code == 200
    closed = client.post(
        f"/calls/{call['id']}/nominations", json={"position_id": position, "expert_id": spare["id"]}, headers=norway
    )
    assert f"call {call['id']} is closed" in _problem(closed, 409)


def test_a_state_withdraws_its_own_nomination_while_nominated_and_may_nominate_again(
    client, engine, hq, norway, ghana, request_
):
    call = _call(client, hq, request_)
    position = request_["positions"][0]["id"]
    expert = _expert(client, norway, nationality="NOR")
    made = _nominate(client, norway, call, position, expert_id=expert["id"])
    assert client.post(f"/nominations/{made['id']}/withdraw", headers=ghana).status_code == 404
    assert client.post(f"/nominations/{made['id']}/withdraw", headers=hq).status_code == 403
    withdrawn = client.post(f"/nominations/{made['id']}/withdraw", headers=norway)
    assert (
        withdrawn.status_code == 200 and withdrawn.json()["status"] == "withdrawn" and withdrawn.json()["withdrawn_at"]
    )
    assert "is withdrawn" in _problem(client.post(f"/nominations/{made['id']}/withdraw", headers=norway), 409)
    again = _nominate(client, norway, call, position, expert_id=expert["id"])  # the live index ignores withdrawn ones
    decided = client.post(
        f"/nominations/{again['id']}/decision",
        json={"decision": "not_selected", "note": "failed interview"},
        headers=hq,
    )
    assert decided.status_code == 200 and decided.json()["status"] == "not_selected"
    assert decided.json()["decided_by"] == "test hq " and decided.json()["decision_note"] == "failed interview"
    assert "is not_selected" in _problem(client.post(f"/nominations/{again['id']}/withdraw", headers=norway), 409)
    twice = client.post(f"/nominations/{again['id']}/decision", json={"decision": "not_selected"}, headers=hq)
    assert "can no longer be not selected" in _problem(twice, 409)
    assert (
        client.post(f"/nominations/{again['id']}/decision", json={"decision": "selected"}, headers=hq).status_code
        == 422
    )


def test_a_state_never_sees_another_states_nominations(client, hq, norway, ghana, auth, request_):
    call = _call(client, hq, request_)
    position = request_["positions"][0]["id"]
    ours = _nominate(client, norway, call, position, expert_id=_expert(client, norway, nationality="NOR")["id"])
    theirs = _nominate(client, ghana, call, position, expert_id=_expert(client, ghana, nationality="GHA")["id"])
    for query in ("", f"?call_id={call['id']}", f"?position_id={position}", "?state=NOR", "?status=nominated"):
        listed = client.get(f"/nominations{query}", headers=ghana).json()
        assert {n["state"] for n in listed["data"]} <= {"GHA"} and listed["count"] == len(listed["data"]) <= 1
    assert client.get("/nominations?state=NOR", headers=ghana).json()["count"] == 0
    for path in (f"/nominations/{ours['id']}", f"/nominations/{ours['id']}/stages"):
        hidden, missing = (
            client.get(path, headers=ghana),
            client.get(path.replace(str(ours["id"]), "999999"), headers=ghana),
        )
        assert _problem(hidden, 404).replace(str(ours["id"]), "N") == _problem(missing, 404).replace("999999", "N")
    assert client.get(f"/nominations/{theirs['id']}", headers=ghana).status_code == 200
    everyone = client.get(f"/nominations?call_id={call['id']}", headers=auth("planner")).json()
    assert everyone["count"] == 2 and [n["state"] for n in everyone["data"]] == ["NOR", "GHA"]
    assert client.get("/nominations?state=GHA", headers=hq).json()["count"] == 1

    submitted = _events(client, ghana, "nomination.submitted")
    assert [(e["state"], e["payload"]["nomination_id"]) for e in submitted] == [("GHA", theirs["id"])]
    assert len(_events(client, hq, "nomination.submitted")) == 2


# --- Assessment stages ---------------------------------------------------------------------------------------


def test_hq_records_the_stages_a_position_requires_and_the_latest_result_counts(
    client, engine, hq, norway, ghana, auth, request_
):
    call = _call(client, hq, request_)
    first, second = (p["id"] for p in request_["positions"])
    expert = _expert(client, norway, nationality="NOR")
    made = _nominate(client, norway, call, first, expert_id=expert["id"])
    path = f"/nominations/{made['id']}/stages"
    day = (TODAY - timedelta(days=3)).isoformat()
    sat = {"stage": "interview", "result": "failed", "assessed_on": day, "assessor": "panel 4", "note": "nervous"}

    assert "requires these stages: interview, language_test" in _problem(
        client.post(path, json=sat | {"stage": "firearms_test"}, headers=hq), 422
    )
    tomorrow = (TODAY + timedelta(days=1)).isoformat()
    assert "is after today" in _problem(client.post(path, json=sat | {"assessed_on": tomorrow}, headers=hq), 422)
    for role in ("planner",):
        assert client.post(path, json=sat, headers=auth(role)).status_code == 403
    assert client.post(path, json=sat, headers=norway).status_code == 403

    failed = client.post(path, json=sat, headers=hq)
    assert failed.status_code == 201 and failed.json()["recorded_by"] == "test hq "
    passed = client.post(
        path,
        json=sat | {"result": "passed", "assessed_on": TODAY.isoformat(), "note": "retaken"},
        headers=auth("admin"),
    )
    assert passed.status_code == 201

    seen = client.get(f"/nominations/{made['id']}", headers=norway).json()
    assert seen["stages"] == [
        {"stage": "interview", "result": "passed", "assessed_on": TODAY.isoformat()},
        {"stage": "language_test", "result": None, "assessed_on": None},
    ]
    history = client.get(path, headers=norway).json()
    assert history["count"] == 2 and [r["result"] for r in history["data"]] == ["passed", "failed"]
    assessed = _events(client, norway, "nomination.assessed")
    assert [(e["payload"]["stage"], e["payload"]["result"]) for e in assessed] == [
        ("interview", "failed"),
        ("interview", "passed"),
    ]
    assert _events(client, ghana, "nomination.assessed") == []

    no_stages = _nominate(client, norway, call, second, expert_id=expert["id"])
    refused = client.post(f"/nominations/{no_stages['id']}/stages", json=sat, headers=hq)
    assert "requires these stages: none" in _problem(refused, 422)
    assert client.post(f"/nominations/{no_stages['id']}/withdraw", headers=norway).status_code == 200
    with Session(engine) as session:  # a withdrawn candidate sits no more stages, whatever the position asks
        session.execute(
            update(Nomination).where(Nomination.id == made["id"]).values(status="withdrawn", withdrawn_at=utcnow())
        )
        session.commit()
    assert "was withdrawn" in _problem(client.post(path, json=sat, headers=hq), 409)


def test_an_approval_selects_the_live_nomination_of_the_pair(client, engine, hq, norway, request_):
    call = _call(client, hq, request_)
    position = request_["positions"][0]["id"]
    expert, other = _expert(client, norway, nationality="NOR"), _expert(client, norway, nationality="NOR")
    made = _nominate(client, norway, call, position, expert_id=expert["id"])
    with Session(engine) as session:
        assert repo.mark_selected(session, position_id=position, supplier_key=f"E{other['id']}", by="planner") is None
        selected = repo.mark_selected(session, position_id=position, supplier_key=f"E{expert['id']}", by="planner 7")
        assert selected is not None and selected.id == made["id"]
        session.commit()
    seen = client.get(f"/nominations/{made['id']}", headers=norway).json()
    assert seen["status"] == "selected" and seen["decided_by"] == "planner 7" and seen["decided_at"]
    decided = _events(client, norway, "nomination.decided")
    assert [(e["payload"]["nomination_id"], e["payload"]["status"]) for e in decided] == [(made["id"], "selected")]
    with Session(engine) as session:
        assert repo.mark_selected(session, position_id=position, supplier_key=f"E{expert['id']}", by="x") is None


def test_every_change_is_audited(client, engine, hq, norway, request_):
    call = _call(client, hq, request_)
    position = request_["positions"][0]["id"]
    made = _nominate(client, norway, call, position, expert_id=_expert(client, norway, nationality="NOR")["id"])
    sat = {"stage": "interview", "result": "passed", "assessed_on": TODAY.isoformat(), "assessor": "panel"}
    assert client.post(f"/nominations/{made['id']}/stages", json=sat, headers=hq).status_code == 201
    assert client.post(f"/nominations/{made['id']}/withdraw", headers=norway).status_code == 200
    assert client.post(f"/calls/{call['id']}/cancel", json={"reason": "stood down"}, headers=hq).status_code == 200
    with Session(engine) as session:
        trail = session.exec(select(AuditEntry).order_by(AuditEntry.id)).all()
    ours = [(e.action, e.entity) for e in trail if e.entity.startswith("nomination")]
    assert ours == [
        ("create", "nomination_call"),
        ("create", "nomination"),
        ("assess", "nomination_stage_result"),
        ("withdraw", "nomination"),
        ("cancel", "nomination_call"),
    ]
    cancel = next(e for e in trail if e.action == "cancel")
    assert cancel.before["status"] == "open" and cancel.after["status"] == "cancelled"
    assert cancel.after["reason"] == "stood down"


def test_twenty_simultaneous_withdrawals_and_decisions_leave_one_outcome(
    client, auth, engine, hq, norway, request_, live_server
):
    call = _call(client, hq, request_)
    made = _nominate(
        client, norway, call, request_["positions"][0]["id"], expert_id=_expert(client, norway, nationality="NOR")["id"]
    )
    start, answers = threading.Barrier(RACERS), []

    def act(i: int) -> None:
        headers, path, body = (
            (norway, "withdraw", None)
            if i % 2
            else (hq, "decision", {"decision": "not_selected", "note": f"racer {i}"})
        )
        with httpx.Client(base_url=live_server, headers=headers, timeout=60) as http:
            start.wait()
            answers.append(http.post(f"/nominations/{made['id']}/{path}", json=body))

    threads = [threading.Thread(target=act, args=(i,)) for i in range(RACERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(r.status_code for r in answers) == [200] + [409] * (RACERS - 1), [r.text for r in answers]
    winner = next(r.json() for r in answers if r.status_code == 200)
    final = client.get(f"/nominations/{made['id']}", headers=hq).json()
    assert final["status"] == winner["status"] and final["version"] == made["version"] + 1
    with Session(engine) as session:
        changes = session.exec(
            select(AuditEntry).where(AuditEntry.entity == "nomination", AuditEntry.entity_id == str(made["id"]))
        ).all()
    assert [e.action for e in changes] == ["create", "withdraw" if final["status"] == "withdrawn" else "decide"]
    events = [
        e
        for e in _events(client, hq, "nomination.withdrawn", "nomination.decided")
        if e["payload"]["nomination_id"] == made["id"]
    ]
    assert len(events) == 1


def test_a_closed_requests_calls_take_no_more_nominations_and_leave_the_states_list(client, hq, norway, request_):
    call = _call(client, hq, request_)
    expert = _expert(client, norway, nationality="NOR")
    closed = client.patch(f"/requests/{request_['id']}", json={"status": "closed"}, headers=hq)
    assert closed.status_code == 200, closed.text
    refused = client.post(
        f"/calls/{call['id']}/nominations",
        json={"position_id": request_["positions"][0]["id"], "expert_id": expert["id"]},
        headers=norway,
    )
    assert f"request {request_['id']} is closed: its calls take no more nominations" in _problem(refused, 409)
    assert call["id"] not in {c["id"] for c in client.get("/calls", headers=norway).json()["data"]}
