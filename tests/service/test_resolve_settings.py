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
