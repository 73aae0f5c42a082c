"""Every role against every route, asserting the exact status; plus the cross-state isolation rule."""

import itertools
from dataclasses import dataclass
from typing import Callable

import pytest

from tests.service import factories

ROLES = ("none", "admin", "hq", "planner", "member_state")
OWN_STATE = "NOR"
_serial = itertools.count(1)


@dataclass
class World:
    """Resources the routes act on; the Member State token in the matrix belongs to NOR, their owner."""

    expert: int
    offer: int
    request: int
    position: int
    token: int


def _skill() -> dict:
    return {"code": f"TEST-SKILL-{next(_serial)}", "name": "Test", "area": "Test", "levels": ["tactical"]}


def _mission() -> dict:
    return {"code": f"UNTEST{next(_serial)}", "name": "Test", "host_states": ["HTI"]}


def _hq_offer() -> dict:
    return factories.offer(state=OWN_STATE)


@dataclass
class Case:
    method: str
    path: str
    expected: dict[str, int]
    body: Callable[[], dict] | None = None

    @property
    def id(self) -> str:
        return f"{self.method} {self.path}"


def everyone(status: int) -> dict[str, int]:
    return {"none": 401, "admin": status, "hq": status, "planner": status, "member_state": status}


def only(statuses: dict[str, int]) -> dict[str, int]:
    return {"none": 401} | {role: statuses.get(role, 403) for role in ROLES[1:]}


CASES = [
    Case("GET", "/health", {role: 200 for role in ROLES}),
    Case("GET", "/reference/skills", everyone(200)),
    Case("POST", "/reference/skills", only({"admin": 201}), _skill),
    Case("GET", "/reference/member-states", everyone(200)),
    Case("GET", "/reference/missions", everyone(200)),
    Case("POST", "/reference/missions", only({"admin": 201}), _mission),
    Case("PATCH", "/reference/missions/MINUSCA", only({"admin": 200}), lambda: {"name": "MINUSCA"}),
    Case("GET", "/experts", everyone(200)),
    Case("POST", "/experts", only({"hq": 201, "member_state": 201}), factories.expert),
    Case("GET", "/experts/{expert}", everyone(200)),
    Case("PATCH", "/experts/{expert}", only({"hq": 200, "member_state": 200}), lambda: {"notice_days": 9}),
    Case("DELETE", "/experts/{expert}", only({"hq": 204, "member_state": 204})),
    Case("GET", "/offers", everyone(200)),
    Case("POST", "/offers", only({"hq": 201, "member_state": 201}), _hq_offer),
    Case("GET", "/offers/{offer}", everyone(200)),
    Case("PATCH", "/offers/{offer}", only({"hq": 200, "member_state": 200}), lambda: {"slots": 4}),
    Case("GET", "/requests", everyone(200)),
    Case("POST", "/requests", only({"hq": 201}), factories.capacity_request),
    Case("GET", "/requests/{request}", everyone(200)),
    Case("PATCH", "/requests/{request}", only({"hq": 200}), lambda: {"priority": 1}),
    Case("GET", "/requests/{request}/positions", everyone(200)),
    Case("POST", "/requests/{request}/positions", only({"hq": 201}), factories.position),
    Case("GET", "/requests/{request}/positions/{position}", everyone(200)),
    Case("PATCH", "/requests/{request}/positions/{position}", only({"hq": 200}), lambda: {"count": 2}),
    Case("DELETE", "/requests/{request}/positions/{position}", only({"hq": 204})),
    Case("GET", "/tokens", only({"admin": 200})),
    Case("POST", "/tokens", only({"admin": 201}), lambda: {"role": "planner", "name": "new"}),
    Case("DELETE", "/tokens/{token}", only({"admin": 200})),
    Case("GET", "/audit", only({"admin": 200})),
]


def test_matrix_covers_every_route(app):
    routes = {(m, p) for p, ops in app.openapi()["paths"].items() for m in ops}
    covered = {
        (c.method.lower(), c.path.replace("{expert}", "{expert_id}").replace("{offer}", "{offer_id}")
         .replace("{request}", "{request_id}").replace("{position}", "{position_id}")
         .replace("{token}", "{token_id}").replace("/MINUSCA", "/{code}"))
        for c in CASES
    }
    assert routes - covered == set(), "add the new routes to CASES"


@pytest.fixture
def world(client, auth) -> World:
    hq, norway = auth("hq"), auth("member_state", OWN_STATE)
    expert = client.post("/experts", json=factories.expert(nationality=OWN_STATE), headers=norway).json()
    offer = client.post("/offers", json=factories.offer(), headers=norway).json()
    request = client.post("/requests", json=factories.capacity_request(), headers=hq).json()
    token = client.post("/tokens", json={"role": "planner", "name": "victim"}, headers=auth("admin")).json()
    return World(expert["id"], offer["id"], request["id"], request["positions"][0]["id"], token["id"])


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_role_on_route(client, auth, world, case: Case, role: str):
    headers = {} if role == "none" else auth(role, OWN_STATE if role == "member_state" else None)
    path = case.path.format(**vars(world))
    body = case.body() if case.body else None
    response = client.request(case.method, path, headers=headers, json=body)
    assert response.status_code == case.expected[role], response.text
    if response.status_code in (401, 403):
        assert response.json()["error"] in ("unauthorized", "forbidden") and response.json()["detail"]


class TestCrossStateIsolation:
    """Another state's ids answer exactly as missing ids do."""

    def test_other_states_experts_and_offers_are_invisible(self, client, auth, world):
        ghana = auth("member_state", "GHA")
        for path in (f"/experts/{world.expert}", f"/offers/{world.offer}"):
            other, missing = client.get(path, headers=ghana), client.get(path.rsplit("/", 1)[0] + "/999999", headers=ghana)
            assert other.status_code == missing.status_code == 404
            assert other.json()["error"] == missing.json()["error"] == "not_found"
            assert other.json()["detail"].replace(str(world.expert), "N").replace(str(world.offer), "N") == \
                missing.json()["detail"].replace("999999", "N")
        assert client.patch(f"/experts/{world.expert}", json={"notice_days": 1}, headers=ghana).status_code == 404
        assert client.delete(f"/experts/{world.expert}", headers=ghana).status_code == 404
        assert client.patch(f"/offers/{world.offer}", json={"status": "withdrawn"}, headers=ghana).status_code == 404
        assert client.get(f"/experts/{world.expert}", headers=auth("hq")).json()["notice_days"] == 30
        assert client.get(f"/offers/{world.offer}", headers=auth("hq")).json()["status"] == "submitted"

    def test_lists_hold_only_own_rows(self, client, auth, world):
        ghana = auth("member_state", "GHA")
        client.post("/experts", json=factories.expert(nationality="GHA"), headers=ghana)
        client.post("/experts", json=factories.expert(state=None), headers=auth("hq"))  # UN staff
        experts = client.get("/experts", headers=ghana).json()
        assert experts["count"] == 1 and {e["state"] for e in experts["data"]} == {"GHA"}
        assert client.get(f"/experts?state={OWN_STATE}", headers=ghana).json()["count"] == 0
        assert client.get(f"/offers?state={OWN_STATE}", headers=ghana).json()["count"] == 0
        assert client.get("/experts", headers=auth("planner")).json()["count"] == 3

    def test_cannot_act_for_another_state(self, client, auth, world):
        ghana = auth("member_state", "GHA")
        expert = client.post("/experts", json=factories.expert(state=OWN_STATE), headers=ghana)
        assert expert.status_code == 422 and expert.json()["detail"][0]["field"] == "state"
        offer = client.post("/offers", json=factories.offer(state=OWN_STATE), headers=ghana)
        assert offer.status_code == 422
        named = client.post("/offers", json=factories.offer(expert_ids=[world.expert]), headers=ghana)
        assert named.status_code == 422 and named.json()["detail"][0]["field"] == "expert_ids"

    def test_member_states_see_open_requests_only(self, client, auth):
        hq = auth("hq")
        draft = client.post("/requests", json=factories.capacity_request(status="draft"), headers=hq).json()
        open_ = client.post("/requests", json=factories.capacity_request(), headers=hq).json()
        ghana = auth("member_state", "GHA")
        assert client.get(f"/requests/{draft['id']}", headers=ghana).status_code == 404
        assert client.get(f"/requests/{open_['id']}", headers=ghana).status_code == 200
        assert [r["id"] for r in client.get("/requests", headers=ghana).json()["data"]] == [open_["id"]]
        assert client.get(f"/requests/{draft['id']}", headers=auth("planner")).status_code == 200

    def test_revoked_and_forged_tokens_are_refused(self, client, auth):
        assert client.get("/experts", headers={"Authorization": "Bearer rst_forged"}).status_code == 401
        assert client.get("/experts", headers={"Authorization": "Basic abc"}).status_code == 401
        assert client.get("/experts", headers={"Authorization": "Bearer"}).status_code == 401
