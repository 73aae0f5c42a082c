"""Readiness as the UN's capability readiness system runs it (issue 18, part 5): a Member State pledges; HQ
records the assessment visit that raises an offer to `assessed`, and may then set `ready` or `rapid_deployment`
with a reason; a plan takes offers from `assessed` up unless told otherwise, and says so when readiness bites."""

from sqlmodel import Session, select

from service.platform.tables import AuditEntry
from tests.service import factories
from tests.service.test_imports import OFFER_HEADER, as_csv, offer_row, post
from tests.service.test_planning_flow import _run

PASSED = {"visited_on": "2026-11-02", "team": "UN assessment and advisory visit", "result": "passed"}
FAILED = PASSED | {"result": "failed", "note": "armoured vehicles not yet delivered"}


def _offer(client, auth, **overrides) -> dict:
    made = client.post("/offers", json=factories.offer(**overrides), headers=auth("member_state", "NOR"))
    assert made.status_code == 201, made.text
    return made.json()


def test_a_member_state_pledges_and_cannot_raise_readiness_itself(client, auth):
    norway = auth("member_state", "NOR")
    for headers in (norway, auth("hq")):
        refused = client.post("/offers", json=factories.offer(readiness="ready", state="NOR"), headers=headers)
        assert refused.status_code == 422 and refused.json()["detail"][0]["field"] == "readiness"
        assert "assessment visit" in refused.json()["detail"][0]["message"]
    offer = _offer(client, auth)
    assert offer["readiness"] == "pledged"
    raised = client.patch(f"/offers/{offer['id']}", json={"readiness": "rapid_deployment"}, headers=norway)
    assert raised.status_code == 422 and "POST /offers/{id}/readiness" in raised.json()["detail"][0]["message"]
    same = client.patch(f"/offers/{offer['id']}", json={"readiness": "pledged", "slots": 4}, headers=norway)
    assert same.status_code == 200 and same.json()["slots"] == 4  # an unchanged value is no change
    assert client.post(f"/offers/{offer['id']}/assessments", json=PASSED, headers=norway).status_code == 403
    change = {"readiness": "ready", "reason": "we are ready"}
    assert client.post(f"/offers/{offer['id']}/readiness", json=change, headers=norway).status_code == 403


def test_hq_raises_readiness_only_on_a_passed_visit_and_every_change_is_audited_with_its_reason(client, auth, engine):
    hq, offer = auth("hq"), _offer(client, auth)
    path = f"/offers/{offer['id']}"
    early = client.post(f"{path}/readiness", json={"readiness": "ready", "reason": "looks fine"}, headers=hq)
    assert early.status_code == 422 and "no assessment visit is recorded" in early.json()["detail"][0]["message"]

    failed = client.post(f"{path}/assessments", json=FAILED, headers=hq)
    assert failed.status_code == 201 and failed.json()["recorded_by"] == "test hq "
    assert client.get(path, headers=hq).json()["readiness"] == "pledged"
    after_failure = client.post(f"{path}/readiness", json={"readiness": "assessed", "reason": "close"}, headers=hq)
    assert after_failure.status_code == 422
    assert "the last visit (2026-11-02) failed" in after_failure.json()["detail"][0]["message"]

    passed = client.post(f"{path}/assessments", json=PASSED | {"visited_on": "2026-11-20"}, headers=hq).json()
    assert client.get(path, headers=hq).json()["readiness"] == "assessed"
    etag = client.get(path, headers=hq).headers["etag"]
    ready = client.post(
        f"{path}/readiness",
        json={"readiness": "rapid_deployment", "reason": "airlift and equipment confirmed"},
        headers=hq | {"If-Match": etag},
    )
    assert ready.status_code == 200 and ready.json()["readiness"] == "rapid_deployment"
    stale = client.post(
        f"{path}/readiness", json={"readiness": "pledged", "reason": "x" * 5}, headers=hq | {"If-Match": etag}
    )
    assert stale.status_code == 412

    with Session(engine) as session:
        trail = session.exec(
            select(AuditEntry).where(AuditEntry.entity == "offer", AuditEntry.action == "readiness")
        ).all()
    assert [(e.before["readiness"], e.after["readiness"], e.after["reason"]) for e in trail] == [
        ("pledged", "assessed", f"assessment visit of {passed['visited_on']} passed"),
        ("assessed", "rapid_deployment", "airlift and equipment confirmed"),
    ]
    norway_events = client.get("/events", headers=auth("member_state", "NOR")).json()["data"]
    assert [(e["type"], e["payload"].get("result"), e["payload"].get("to")) for e in norway_events] == [
        ("offer.assessed", "failed", None),
        ("offer.assessed", "passed", None),
        ("offer.readiness_changed", None, "assessed"),
        ("offer.readiness_changed", None, "rapid_deployment"),
    ]
    assert norway_events[-1]["payload"]["reason"] == "airlift and equipment confirmed"
    assert client.get("/events", headers=auth("member_state", "GHA")).json()["data"] == []
    visits = client.get(f"{path}/assessments", headers=auth("member_state", "NOR")).json()
    assert [(v["visited_on"], v["result"]) for v in visits] == [("2026-11-20", "passed"), ("2026-11-02", "failed")]
    assert client.get(f"{path}/assessments", headers=auth("member_state", "GHA")).status_code == 404


def test_bad_visits_and_reasons_are_refused_in_plain_words(client, auth):
    hq, offer = auth("hq"), _offer(client, auth)
    path = f"/offers/{offer['id']}"
    for bad in (
        PASSED | {"visited_on": "1850-01-01"},
        PASSED | {"visited_on": "2099-01-01"},  # a visit is recorded once it has taken place
        PASSED | {"result": "maybe"},
        PASSED | {"team": ""},
    ):
        answer = client.post(f"{path}/assessments", json=bad, headers=hq)
        assert answer.status_code == 422 and answer.json()["detail"]
    short = client.post(f"{path}/readiness", json={"readiness": "pledged", "reason": ""}, headers=hq)
    assert short.status_code == 422 and short.json()["detail"][0]["field"] == "reason"
    assert client.post("/offers/999999/assessments", json=PASSED, headers=hq).status_code == 404
    assert client.get(path, headers=hq).json()["readiness"] == "pledged"  # nothing changed


def _one_seat(client, auth) -> dict:
    return client.post(
        "/requests",
        headers=auth("hq"),
        json=factories.capacity_request(
            positions=[factories.position(languages=[], start_date="2027-03-01", end_date="2027-10-31")]
        ),
    ).json()


def test_a_plan_takes_assessed_offers_by_default_and_names_readiness_when_it_bites(client, auth, engine):
    offer, request = _offer(client, auth), _one_seat(client, auth)
    planner = auth("planner")
    body = {"time_limit": 5, "workers": 1, "today": "2026-12-01", "request_ids": [request["id"]]}

    pledged_only = _run(client, engine, planner, body=body)
    assert pledged_only["parameters"]["min_readiness"] == "assessed"
    (empty,) = client.get(f"/plans/{pledged_only['id']}/unfilled", headers=planner).json()["data"]
    steps = empty["detail"]["eliminations"]
    assert [e["rule"] for e in steps] == ["readiness"] and "not yet assessed" in steps[0]["detail"]
    assert "not yet assessed" in empty["reason"]

    every_offer = _run(client, engine, planner, body=body | {"min_readiness": "pledged"})
    (taken,) = client.get(f"/plans/{every_offer['id']}/assignments", headers=planner).json()["data"]
    assert taken["supplier"]["id"] == f"O{offer['id']}"

    factories.assessed(client, auth("hq"), offer)
    assessed = _run(client, engine, planner, body=body)
    (taken,) = client.get(f"/plans/{assessed['id']}/assignments", headers=planner).json()["data"]
    assert taken["supplier"]["id"] == f"O{offer['id']}"


def test_an_import_cannot_raise_readiness_either(client, auth):
    row = offer_row(1, readiness="rapid_deployment")
    report = post(client, auth("member_state", "NOR"), "offers", as_csv(OFFER_HEADER, [row]))
    assert report.status_code == 422
    (error,) = report.json()["errors"]
    assert error["column"] == "readiness" and "assessment visit" in error["message"]
