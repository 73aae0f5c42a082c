"""Credentials through the whole service: a credential that expires before a position's end keeps the candidate out
and the plan says why; the gap report names the seats only credentials kept empty; a credential change on a live
deployment's expert or offer marks it at risk in the approval check's words."""

import csv
import io

import pytest

from service.planning import jobs
from tests.service import factories

END = "2027-12-31"  # factories.position's last day
SHORT_MEDICAL = [
    *factories.credentials("CPTM", "SSAFE", "DRIVING-TEST", "FIREARMS-TEST"),
    {"code": "MEDICAL", "issued_on": "2026-01-01", "expires_on": "2027-06-30"},
]
YEAR = {"from": "2027-01-01", "to": END}


def _request(client, hq, **position) -> dict:
    body = factories.capacity_request(positions=[factories.position(**position)])
    made = client.post("/requests", json=body, headers=hq)
    assert made.status_code == 201, made.text
    return made.json()


def _solve(client, engine, planner, request_ids: list[int]) -> int:
    queued = client.post(
        "/plans", json={"workers": 1, "today": "2027-01-04", "request_ids": request_ids}, headers=planner
    )
    assert queued.status_code == 202, queued.text
    assert jobs.work_once(engine, "test-worker") == queued.json()["id"]
    return queued.json()["id"]


@pytest.fixture
def blocked(client, auth, engine) -> dict:
    """One seat whose only candidate's medical clearance ends half-way (blocked by MEDICAL), and one seat nobody
    has the skill for (empty for another reason); the plan made of both."""
    hq, planner = auth("hq"), auth("planner")
    made = client.post("/experts", json=factories.expert(credentials=SHORT_MEDICAL), headers=hq)
    assert made.status_code == 201, made.text
    medical = _request(client, hq)
    unskilled = _request(client, hq, required_skills=[{"code": "DDR-DESIGN", "min_proficiency": 5}])
    plan = _solve(client, engine, planner, [medical["id"], unskilled["id"]])
    return {
        "plan": plan,
        "medical": medical["positions"][0]["id"],
        "unskilled": unskilled["positions"][0]["id"],
    }


def test_a_credential_expiring_before_the_end_keeps_the_candidate_out_and_the_plan_says_so(client, auth, blocked):
    unfilled = client.get(f"/plans/{blocked['plan']}/unfilled", headers=auth("planner")).json()["data"]
    seat = next(u for u in unfilled if u["position_id"] == blocked["medical"])
    assert f"1 lack a valid medical clearance through {END}" in seat["reason"], seat["reason"]
    steps = seat["detail"]["eliminations"]
    assert [(s["rule"], s["eliminated"], s["remaining"]) for s in steps] == [("credential:MEDICAL", 1, 0)]


def test_the_gap_report_names_the_seat_only_a_credential_kept_empty(client, auth, blocked):
    report = client.get("/reports/gaps", params=YEAR, headers=auth("planner")).json()
    seats = {u["position_id"]: u for u in report["unfilled"]}
    assert seats[blocked["medical"]]["blocked_by_credentials"] == [
        {"code": "MEDICAL", "name": "medical clearance", "candidates": 1}
    ]
    assert seats[blocked["unskilled"]]["blocked_by_credentials"] == []
    assert report["blocked_by_credentials"] == 1
    strategy = [c for c in report["cells"] if c["skill"] == "SSR-STRATEGY" and c["unfilled"]]
    assert {c["quarter"]: c["blocked_by_credentials"] for c in strategy} == {
        "2027-Q1": 1,
        "2027-Q2": 1,
        "2027-Q3": 1,
        "2027-Q4": 1,
    }
    ddr = [c for c in report["cells"] if c["skill"] == "DDR-DESIGN"]
    assert ddr and all(c["unfilled"] == 1 and c["blocked_by_credentials"] == 0 for c in ddr)


def test_the_csv_has_the_column(client, auth, blocked):
    response = client.get("/reports/gaps", params=YEAR | {"format": "csv"}, headers=auth("planner"))
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert {(r["skill"], r["quarter"]): r["blocked_by_credentials"] for r in rows if r["unfilled"] != "0"} == {
        ("SSR-STRATEGY", q): "1" for q in ("2027-Q1", "2027-Q2", "2027-Q3", "2027-Q4")
    } | {("DDR-DESIGN", q): "0" for q in ("2027-Q1", "2027-Q2", "2027-Q3", "2027-Q4")}


def _sign_in(client, auth, role: str) -> None:
    secret = auth(role)["Authorization"].removeprefix("Bearer ")
    form = client.get("/ui/signin")
    csrf = form.text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
    assert client.post("/ui/signin", data={"token": secret, "csrf": csrf}, follow_redirects=False).status_code == 303


def test_the_page_lists_the_seat_and_the_missing_type(client, auth, blocked):
    _sign_in(client, auth, "planner")
    page = client.get("/ui/gaps", params={"start": YEAR["from"], "end": YEAR["to"]})
    assert page.status_code == 200
    assert 'id="blocked-by-credentials"' in page.text
    assert "medical clearance" in page.text and "1 candidate" in page.text


def _patch(client, path: str, body: dict, headers) -> dict:
    etag = client.get(path, headers=headers).headers["etag"]
    changed = client.patch(path, json=body, headers=headers | {"If-Match": etag})
    assert changed.status_code == 200, changed.text
    return changed.json()


def _at_risk(client, headers) -> dict[int, list[dict]]:
    listed = client.get("/deployments", params={"at_risk": "true"}, headers=headers).json()["data"]
    return {d["id"]: d["at_risk"] for d in listed}


def test_a_credentials_only_change_marks_a_live_deployment_at_risk(client, auth, engine):
    norway, hq, planner = auth("member_state", "NOR"), auth("hq"), auth("planner")
    expert = client.post("/experts", json=factories.expert(full_name="Ane Berg", nationality="NOR"), headers=norway)
    offer = client.post("/offers", json=factories.offer(kind="individual", slots=1), headers=norway)
    people, teams = _request(client, hq), _request(client, hq, languages=[])
    deployed = {
        "expert": factories.deploy(engine, people["positions"][0]["id"], expert=expert.json()["id"]),
        "offer": factories.deploy(engine, teams["positions"][0]["id"], offer=offer.json()["id"]),
    }
    assert _at_risk(client, planner) == {}

    screened = SHORT_MEDICAL + factories.credentials("HR-SCREENING")
    _patch(client, f"/experts/{expert.json()['id']}", {"credentials": screened}, norway)
    words = f"lacks a valid medical clearance through {END}"
    assert _at_risk(client, planner) == {
        deployed["expert"]: [{"rule": "credential:MEDICAL", "detail": f"Ane Berg {words}"}]
    }
    lapsed = [c for c in factories.offer()["credentials"] if c["code"] != "MEDICAL"]
    title = offer.json()["title"]
    _patch(client, f"/offers/{offer.json()['id']}", {"credentials": lapsed}, norway)
    assert _at_risk(client, planner)[deployed["offer"]] == [
        {"rule": "credential:MEDICAL", "detail": f"{title} {words}"}
    ]
