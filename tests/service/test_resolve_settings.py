"""A re-solve plans as its parent did: the planning date and every setting kept, not today's defaults."""

from tests.service.test_planning_flow import TODAY, _run, world  # noqa: F401 (a fixture)

SETTINGS = {
    "time_limit": 7,
    "workers": 1,
    "seed": 3,
    "today": TODAY,
    "min_readiness": "ready",
    "candidates": "roster",
    "provisional": True,
    "rest_days": 14,
    "max_state_share": 0.5,
    "weights": {"desired_skill": 5},
}


def test_a_resolve_keeps_the_parents_planning_date_and_settings(client, auth, engine, world):  # noqa: F811
    planner = auth("planner")
    parent = _run(client, engine, planner, body=SETTINGS | {"gender_targets": {str(world["german"]["id"]): 0.5}})
    child = _run(client, engine, planner, path=f"/plans/{parent['id']}/resolve")
    assert child["parent_id"] == parent["id"]
    kept = {k: v for k, v in child["parameters"].items() if k != "pins"}
    assert kept == parent["parameters"]
    assert kept["min_readiness"] == "ready" and kept["today"] == TODAY and kept["rest_days"] == 14


def test_a_slot_rejected_beside_a_pinned_slot_of_the_same_offer_re_solves(client, auth, engine, world):  # noqa: F811
    """Rejecting one slot of a team forbids the team on that position, but the slot pinned beside it stays: the
    pin wins on its own seat (found by a planner's trial: the re-solve failed on its own decisions)."""
    planner = auth("planner")
    plan = _run(client, engine, planner, body={"workers": 1, "today": TODAY})
    rows = client.get(f"/plans/{plan['id']}/assignments", headers=planner).json()["data"]
    kept, dropped = sorted((a for a in rows if a["supplier"]["kind"] == "offer"), key=lambda a: a["seat"])
    decided = {"pin": [kept["id"]], "reject": [dropped["id"]]}
    assert client.post(f"/plans/{plan['id']}/review", json=decided, headers=planner).status_code == 200
    child = _run(client, engine, planner, path=f"/plans/{plan['id']}/resolve")
    proposals = client.get(f"/plans/{child['id']}/assignments", headers=planner).json()["data"]
    team = {(a["position_id"], a["seat"]) for a in proposals if a["supplier"]["id"] == kept["supplier"]["id"]}
    assert team == {(kept["position_id"], kept["seat"])}
    pinned = next(a for a in proposals if (a["position_id"], a["seat"]) == (kept["position_id"], kept["seat"]))
    approved = client.post(f"/plans/{child['id']}/review", json={"approve": [pinned["id"]]}, headers=planner)
    assert approved.status_code == 200, approved.text
