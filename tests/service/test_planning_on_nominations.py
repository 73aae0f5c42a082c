"""Planning on candidates (issue 18, part 3): a plan takes the roster, the nominations or both; a seat under a
call takes only its nominees, and where stages are required only those who passed them (or, on a provisional
plan, have not yet sat them); an empty seat says why; an approval is checked with the plan's choices."""

import pytest

from service.planning import risks
from tests.service import factories
from tests.service.test_planning_flow import _run

TODAY = "2027-01-04"


def _expert(name: str) -> dict:
    return factories.expert(
        full_name=name,
        nationality="NOR",
        notice_days=10,
        skills=[{"code": "SSR-STRATEGY", "proficiency": 4}],
        languages=[{"code": "en", "level": 4}, {"code": "fr", "level": 5}],
    )


@pytest.fixture
def world(client, auth, engine):
    """Two overlapping seats of one request (one under a call, one not) and two Norwegian experts who qualify for
    both; the call's only nominee is Nadia."""
    norway, hq = auth("member_state", "NOR"), auth("hq")
    nadia, roald = (client.post("/experts", json=_expert(n), headers=norway).json() for n in ("Nadia", "Roald"))
    request = client.post(
        "/requests",
        headers=hq,
        json=factories.capacity_request(
            positions=[factories.position(title="Called adviser"), factories.position(title="Roster adviser")]
        ),
    ).json()
    called, other = request["positions"]
    call = factories.call(engine, request["id"], [called["id"]])
    return {"nadia": nadia, "roald": roald, "request": request, "called": called, "other": other, "call": call}


def _plan(client, engine, auth, world, **body) -> tuple[dict, dict[str, str], dict[int, dict]]:
    """The plan, who got each position (by title), and the unfilled seats by position id."""
    planner = auth("planner")
    body = {"workers": 1, "time_limit": 5, "today": TODAY, "request_ids": [world["request"]["id"]]} | body
    plan = _run(client, engine, planner, body=body)
    assignments = client.get(f"/plans/{plan['id']}/assignments", headers=planner).json()["data"]
    unfilled = client.get(f"/plans/{plan['id']}/unfilled", headers=planner).json()["data"]
    return plan, {a["position_title"]: a for a in assignments}, {u["position_id"]: u for u in unfilled}


def _stages(client, auth, world, stages: list[str]) -> None:
    path = f"/requests/{world['request']['id']}/positions/{world['called']['id']}"
    answer = client.patch(path, json={"assessment_stages": stages}, headers=auth("hq"))
    assert answer.status_code == 200, answer.text


def test_a_plan_on_nominations_fills_seats_only_from_nominees(client, auth, engine, world):
    factories.nominate(engine, world["call"], world["called"]["id"], expert=world["roald"]["id"])
    plan, taken, unfilled = _plan(client, engine, auth, world, candidates="nominations")
    assert plan["parameters"]["candidates"] == "nominations" and plan["parameters"]["provisional"] is False
    assert taken["Called adviser"]["supplier"]["id"] == f"E{world['roald']['id']}"
    assert "Roster adviser" not in taken  # Nadia qualifies, but nobody nominated anyone for it
    reason = unfilled[world["other"]["id"]]
    assert "no nomination was received" in reason["reason"]
    assert reason["detail"]["eliminations"][-1]["rule"] == "nomination"


def test_both_keeps_the_roster_for_positions_without_a_call(client, auth, engine, world):
    factories.nominate(engine, world["call"], world["called"]["id"], expert=world["nadia"]["id"])
    plan, taken, unfilled = _plan(client, engine, auth, world)  # "both" by default
    assert plan["parameters"]["candidates"] == "both"
    assert taken["Called adviser"]["supplier"]["id"] == f"E{world['nadia']['id']}"
    assert taken["Roster adviser"]["supplier"]["id"] == f"E{world['roald']['id']}"
    assert unfilled == {}


def test_a_seat_under_a_call_without_nominations_stays_empty_and_says_so(client, auth, engine, world):
    _, taken, unfilled = _plan(client, engine, auth, world)
    assert "Called adviser" not in taken
    assert "no nomination was received" in unfilled[world["called"]["id"]]["reason"]


def test_a_cancelled_call_leaves_its_positions_to_the_roster(client, auth, engine, world):
    request = world["request"]
    cancelled = factories.call(engine, request["id"], [world["other"]["id"]], status="cancelled")
    assert cancelled != world["call"]
    factories.nominate(engine, world["call"], world["called"]["id"], expert=world["nadia"]["id"])
    _, taken, _ = _plan(client, engine, auth, world)
    assert "Roster adviser" in taken


def test_roster_ignores_calls(client, auth, engine, world):
    _, taken, unfilled = _plan(client, engine, auth, world, candidates="roster")
    assert set(taken) == {"Called adviser", "Roster adviser"} and unfilled == {}


@pytest.mark.parametrize(
    "results,words",
    [({"interview": "failed"}, "failed the interview"), ({}, "have not yet passed the interview")],
    ids=["failed", "not-yet"],
)
def test_stages_bite(client, auth, engine, world, results, words):
    _stages(client, auth, world, ["interview"])
    factories.nominate(engine, world["call"], world["called"]["id"], expert=world["nadia"]["id"], results=results)
    _, taken, unfilled = _plan(client, engine, auth, world)
    assert "Called adviser" not in taken
    assert words in unfilled[world["called"]["id"]]["reason"]


def test_the_latest_result_of_a_stage_counts(client, auth, engine, world):
    _stages(client, auth, world, ["interview"])
    nomination = factories.nominate(
        engine, world["call"], world["called"]["id"], expert=world["nadia"]["id"], results={"interview": "failed"}
    )
    factories.stage_result(engine, nomination, "interview", "passed", later=True)
    _, taken, _ = _plan(client, engine, auth, world)
    assert taken["Called adviser"]["supplier"]["id"] == f"E{world['nadia']['id']}"
    assert taken["Called adviser"]["provisional"] == []


def test_a_provisional_plan_proposes_a_nominee_not_yet_assessed_and_says_so(client, auth, engine, world):
    _stages(client, auth, world, ["interview", "language_test"])
    factories.nominate(
        engine, world["call"], world["called"]["id"], expert=world["nadia"]["id"], results={"interview": "passed"}
    )
    plan, taken, _ = _plan(client, engine, auth, world, provisional=True)
    assert plan["parameters"]["provisional"] is True
    assert taken["Called adviser"]["supplier"]["id"] == f"E{world['nadia']['id']}"
    assert taken["Called adviser"]["provisional"] == ["language_test"]
    assert taken["Roster adviser"]["provisional"] == []


def _approve(client, auth, plan_id: int, assignment_id: int, reason: str | None = None):
    body = {"approve": [assignment_id]} | ({"override_reason": reason} if reason else {})
    return client.post(f"/plans/{plan_id}/review", json=body, headers=auth("planner"))


def test_approving_a_non_nominee_on_a_nominations_only_seat_is_refused(client, auth, engine, world):
    factories.nominate(engine, world["call"], world["called"]["id"], expert=world["nadia"]["id"])
    pairs = [(world["called"], world["roald"]["id"])]
    plan_id, (row,) = factories.stored_plan(engine, pairs, {"candidates": "both"})
    refused = _approve(client, auth, plan_id, row.id, "HQ knows him well and needs him there")
    assert refused.status_code == 409, refused.text
    assert "was not nominated for this position" in refused.json()["detail"]
    (problem,) = refused.json()["refused"][0]["problems"]
    assert problem == {"rule": "nomination", "detail": "was not nominated for this position", "breakable": False}
    # the same pair on a plan over the roster is approved
    plan_id, (row,) = factories.stored_plan(engine, pairs, {"candidates": "roster"})
    assert _approve(client, auth, plan_id, row.id).status_code == 200


def test_a_provisional_approval_only_on_a_provisional_plan(client, auth, engine, world):
    _stages(client, auth, world, ["interview"])
    factories.nominate(engine, world["call"], world["called"]["id"], expert=world["nadia"]["id"])
    pairs = [(world["called"], world["nadia"]["id"])]
    plan_id, (row,) = factories.stored_plan(engine, pairs, {"candidates": "both"})
    refused = _approve(client, auth, plan_id, row.id)
    assert refused.status_code == 409, refused.text
    assert "has not yet passed the interview" in refused.json()["detail"]
    plan_id, (row,) = factories.stored_plan(engine, pairs, {"candidates": "both", "provisional": True})
    approved = _approve(client, auth, plan_id, row.id)
    assert approved.status_code == 200, approved.text


def test_a_failed_stage_refuses_even_a_provisional_approval(client, auth, engine, world):
    _stages(client, auth, world, ["interview"])
    factories.nominate(
        engine, world["call"], world["called"]["id"], expert=world["nadia"]["id"], results={"interview": "failed"}
    )
    pairs = [(world["called"], world["nadia"]["id"])]
    plan_id, (row,) = factories.stored_plan(engine, pairs, {"candidates": "both", "provisional": True})
    refused = _approve(client, auth, plan_id, row.id, "HQ accepts this: a second interview is booked")
    assert refused.status_code == 409 and "failed the interview" in refused.json()["detail"]


def test_a_deployment_is_at_risk_once_its_supplier_fails_a_stage_not_while_one_is_to_be_sat(
    client, auth, engine, world
):
    _stages(client, auth, world, ["interview"])
    nomination = factories.nominate(engine, world["call"], world["called"]["id"], expert=world["nadia"]["id"])
    deployment = factories.deploy(engine, world["called"]["id"], expert=world["nadia"]["id"])
    risks.recheck_all(engine)
    assert client.get(f"/deployments/{deployment}", headers=auth("hq")).json()["at_risk"] is None
    factories.stage_result(engine, nomination, "interview", "failed")
    risks.recheck_all(engine)
    (risk,) = client.get(f"/deployments/{deployment}", headers=auth("hq")).json()["at_risk"]
    assert risk == {"rule": "assessment_failed", "detail": "Nadia failed the interview"}
