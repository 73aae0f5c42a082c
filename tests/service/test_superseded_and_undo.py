"""Issue 16: a plan that a newer one replaces is read-only, and a planner can undo an approval or a rejection."""

from datetime import date

import pytest

from service.planning.bridge import Scope
from service.planning.superseding import covers
from tests.service import factories
from tests.service import test_planning_flow as flow
from tests.service.test_planning_flow import TODAY, _run

world = flow.world  # the fixture: three Norwegian experts, a Ghanaian team, three requests
BODY = {"workers": 1, "today": TODAY}


def _assignments(client, headers, plan_id: int) -> list[dict]:
    return client.get(f"/plans/{plan_id}/assignments", headers=headers).json()["data"]


def _plan(client, headers, plan_id: int) -> dict:
    return client.get(f"/plans/{plan_id}", headers=headers).json()


def _trail(client, auth, entity: str, entity_id: int) -> list[dict]:
    return client.get(f"/audit?entity={entity}&entity_id={entity_id}", headers=auth("admin")).json()["data"]


def test_a_resolve_supersedes_its_parent_whose_decisions_answer_409_naming_the_newest(client, auth, engine, world):
    planner = auth("planner")
    first = _run(client, engine, planner, body=BODY)
    proposals = _assignments(client, planner, first["id"])
    second = _run(client, engine, planner, path=f"/plans/{first['id']}/resolve")

    old = _plan(client, planner, first["id"])
    assert old["superseded_by"] == second["id"] and second["superseded_by"] is None
    assert old["summary"] == first["summary"] and _assignments(client, planner, first["id"]) == proposals
    replaced = f"plan {first['id']} was replaced by plan {second['id']} (newer, over the same requests)"
    refused = [
        client.post(f"/plans/{first['id']}/review", json={"approve": [proposals[0]["id"]]}, headers=planner),
        client.post(f"/plans/{first['id']}/review", json={"reject": [proposals[0]["id"]]}, headers=planner),
        client.post(f"/plans/{first['id']}/assignments/{proposals[1]['id']}/approve", headers=planner),
        client.post(f"/plans/{first['id']}/assignments/{proposals[1]['id']}/pin", headers=planner),
    ]
    for answer in refused:
        assert answer.status_code == 409, answer.text
        assert answer.json()["detail"] == f"{replaced}: review plan {second['id']}"
        assert answer.headers["x-superseded-by"] == str(second["id"])
    resolve = client.post(f"/plans/{first['id']}/resolve", headers=planner)
    assert resolve.status_code == 409 and resolve.json()["detail"] == f"{replaced}: re-solve plan {second['id']}"
    assert client.get("/deployments", headers=planner).json()["count"] == 0
    assert {a["review"] for a in _assignments(client, planner, first["id"])} == {"proposed"}

    newest = _assignments(client, planner, second["id"])[0]
    approved = client.post(f"/plans/{second['id']}/assignments/{newest['id']}/approve", headers=planner)
    assert approved.status_code == 200, approved.text

    third = _run(client, engine, planner, body=BODY)  # a new plan over every open request replaces both, flat
    assert [_plan(client, planner, p["id"])["superseded_by"] for p in (first, second, third)] == [
        third["id"],
        third["id"],
        None,
    ]
    listed = client.get("/plans", headers=planner).json()["data"]
    assert {p["id"]: p["superseded_by"] for p in listed}[second["id"]] == third["id"]


def test_a_plan_over_other_requests_does_not_supersede(client, auth, engine, world):
    planner = auth("planner")
    strategic, tactical = world["strategic"]["id"], world["tactical"]["id"]
    alone = _run(client, engine, planner, body=BODY | {"request_ids": [strategic]})
    other = _run(client, engine, planner, body=BODY | {"request_ids": [tactical]})
    later = _run(client, engine, planner, body=BODY | {"request_ids": [strategic], "horizon_end": "2027-06-30"})
    assert [_plan(client, planner, p["id"])["superseded_by"] for p in (alone, other, later)] == [None, None, None]
    resolve = client.post(f"/plans/{alone['id']}/resolve", headers=planner)
    assert resolve.status_code == 202  # not replaced: it may still be re-solved
    assert client.delete(f"/plans/{resolve.json()['id']}", headers=planner).status_code == 202

    both = _run(client, engine, planner, body=BODY | {"request_ids": [tactical, strategic]})
    assert [_plan(client, planner, p["id"])["superseded_by"] for p in (alone, other, later)] == [both["id"]] * 3
    smaller = _run(client, engine, planner, body=BODY | {"request_ids": [strategic]})
    assert _plan(client, planner, both["id"])["superseded_by"] is None
    assert _plan(client, planner, smaller["id"])["superseded_by"] is None


@pytest.mark.parametrize(
    ("newer", "older", "expected"),
    [
        (Scope(None), Scope([1, 2]), True),
        (Scope([1, 2, 3]), Scope([2, 1]), True),
        (Scope([1, 2]), Scope([1, 3]), False),
        (Scope([1, 2]), Scope(None), False),
        (Scope(None, date(2027, 1, 1), date(2027, 12, 31)), Scope(None, date(2027, 3, 1), date(2027, 6, 30)), True),
        (Scope(None, date(2027, 3, 1)), Scope(None, date(2027, 1, 1)), False),
        (Scope(None, None, date(2027, 6, 30)), Scope(None), False),
        (Scope(None), Scope([4], date(2027, 3, 1), date(2027, 6, 30)), True),
    ],
)
def test_what_a_newer_plan_covers(newer, older, expected):
    assert covers(newer, older) is expected


def test_undo_an_approval_cancels_its_planned_deployment(client, auth, engine, world):
    planner = auth("planner")
    plan = _run(client, engine, planner, body=BODY)
    first = _assignments(client, planner, plan["id"])[0]
    deployment = client.post(f"/plans/{plan['id']}/assignments/{first['id']}/approve", headers=planner).json()[
        "deployments"
    ][0]
    position = f"/requests/{first['request_id']}/positions/{first['position_id']}"
    assert client.get(position, headers=planner).json()["filled"] == 1

    undone = client.post(f"/plans/{plan['id']}/assignments/{first['id']}/undo", headers=planner)
    assert undone.status_code == 200, undone.text
    assert undone.json() | {} == {
        "approved": [],
        "rejected": [],
        "pinned": [],
        "deployments": [],
        "undone": [first["id"]],
        "cancelled": [deployment],
    }
    assert client.get(f"/deployments/{deployment}", headers=planner).json()["status"] == "cancelled"
    again = next(a for a in _assignments(client, planner, plan["id"]) if a["id"] == first["id"])
    assert (again["review"], again["deployment_id"], again["reviewed_by"]) == ("proposed", None, None)
    assert client.get(position, headers=planner).json()["filled"] == 0
    [entry] = _trail(client, auth, "deployment", deployment)[-1:]
    moved = (entry["action"], entry["before"]["status"], entry["after"]["status"])
    assert moved == ("undo", "awaiting_consent", "cancelled")
    undo = [e for e in _trail(client, auth, "plan_assignment", first["id"]) if e["action"] == "undo"]
    assert [(e["before"]["review"], e["after"]["review"], e["after"]["deployment_id"]) for e in undo] == [
        ("approved", "proposed", None)
    ]
    events = client.get("/events", headers=auth("hq"), params={"type": "deployment.cancelled"}).json()["data"]
    assert [e["entity_id"] for e in events] == [str(deployment)]

    reapproved = client.post(f"/plans/{plan['id']}/review", json={"approve": [first["id"]]}, headers=planner)
    assert reapproved.status_code == 200 and reapproved.json()["deployments"] != [deployment]


def test_undo_is_refused_once_deployed_or_when_nothing_was_decided(client, auth, engine, world):
    planner = auth("planner")
    plan = _run(client, engine, planner, body=BODY)
    first, second = _assignments(client, planner, plan["id"])[:2]
    deployment = client.post(f"/plans/{plan['id']}/review", json={"approve": [first["id"]]}, headers=planner).json()[
        "deployments"
    ][0]
    factories.confirm(client, auth, deployment)
    assert client.patch(f"/deployments/{deployment}", json={"status": "deployed"}, headers=planner).status_code == 200

    refused = client.post(f"/plans/{plan['id']}/review", json={"undo": [first["id"]]}, headers=planner)
    assert refused.status_code == 409
    detail = refused.json()["detail"]
    assert f"seat {first['seat']} of position {first['position_id']} ({first['position_title']})" in detail
    assert first["supplier"]["name"] in detail
    assert f"deployment {deployment} is already deployed" in detail
    assert f"cancel or complete deployment {deployment} instead" in detail
    assert client.get(f"/deployments/{deployment}", headers=planner).json()["status"] == "deployed"
    kept = next(a for a in _assignments(client, planner, plan["id"]) if a["id"] == first["id"])
    assert kept["review"] == "approved" and kept["deployment_id"] == deployment

    proposed = client.post(f"/plans/{plan['id']}/assignments/{second['id']}/undo", headers=planner)
    assert proposed.status_code == 409
    assert "is proposed, not approved, rejected or pinned" in proposed.json()["detail"]
    assert "approve, reject or pin it instead" in proposed.json()["detail"]
    both = client.post(
        f"/plans/{plan['id']}/review", json={"undo": [first["id"]], "reject": [second["id"]]}, headers=planner
    )
    assert both.status_code == 409  # all or nothing: the rejection is not written either
    assert next(a for a in _assignments(client, planner, plan["id"]) if a["id"] == second["id"])["review"] == "proposed"

    assert client.patch(f"/deployments/{deployment}", json={"status": "cancelled"}, headers=planner).status_code == 200
    cancelled = client.post(f"/plans/{plan['id']}/assignments/{first['id']}/undo", headers=planner)
    assert cancelled.status_code == 409 and "was already cancelled" in cancelled.json()["detail"]


def test_undo_a_rejection_lets_the_pair_be_proposed_again_even_from_a_replaced_plan(client, auth, engine, world):
    planner = auth("planner")
    plan = _run(client, engine, planner, body=BODY)
    strategic = [a for a in _assignments(client, planner, plan["id"]) if a["request_id"] == world["strategic"]["id"]]
    assert len(strategic) == 3  # three Norwegian experts for three seats of one position: each is the only one left
    rejected = strategic[0]
    pair = (rejected["position_id"], rejected["supplier"]["id"])
    answer = client.post(f"/plans/{plan['id']}/assignments/{rejected['id']}/reject", headers=planner)
    assert answer.status_code == 200
    second = _run(client, engine, planner, path=f"/plans/{plan['id']}/resolve")
    assert pair not in {(a["position_id"], a["supplier"]["id"]) for a in _assignments(client, planner, second["id"])}

    undone = client.post(f"/plans/{plan['id']}/review", json={"undo": [rejected["id"]]}, headers=planner)
    assert undone.status_code == 200, undone.text  # plan 1 is replaced, but undo stays possible
    assert undone.json()["undone"] == [rejected["id"]] and undone.json()["cancelled"] == []
    again = next(a for a in _assignments(client, planner, plan["id"]) if a["id"] == rejected["id"])
    assert again["review"] == "proposed"
    trail = _trail(client, auth, "plan_assignment", rejected["id"])
    assert [(e["action"], e["before"]["review"]) for e in trail if e["action"] == "undo"] == [("undo", "rejected")]
    audit = client.get("/audit?entity=forbidden_pair", headers=auth("admin")).json()["data"]
    assert [(e["action"], e["before"]["position_id"], e["before"]["supplier"]) for e in audit] == [("delete", *pair)]

    third = _run(client, engine, planner, path=f"/plans/{second['id']}/resolve")
    assert pair in {(a["position_id"], a["supplier"]["id"]) for a in _assignments(client, planner, third["id"])}


def test_undo_a_pin_puts_the_proposal_back_to_proposed(client, auth, engine, world):
    planner = auth("planner")
    plan = _run(client, engine, planner, body=BODY)
    first = _assignments(client, planner, plan["id"])[0]
    assert client.post(f"/plans/{plan['id']}/assignments/{first['id']}/pin", headers=planner).status_code == 200
    undone = client.post(f"/plans/{plan['id']}/review", json={"undo": [first["id"]]}, headers=planner)
    assert undone.status_code == 200, undone.text
    assert undone.json()["undone"] == [first["id"]] and undone.json()["cancelled"] == []
    assert next(a for a in _assignments(client, planner, plan["id"]) if a["id"] == first["id"])["review"] == "proposed"
    trail = _trail(client, auth, "plan_assignment", first["id"])
    assert [(e["action"], e["before"]["review"]) for e in trail if e["action"] == "undo"] == [("undo", "pinned")]
