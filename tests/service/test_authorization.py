"""Every role against every route, asserting the exact status; plus the cross-state isolation rule."""

import csv
import io
import itertools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from schemas.enums import Role
from service.app import create_app
from service.deployments import repository as deployments
from service.planning import jobs
from service.platform.auth import issue_token
from service.platform.settings import Settings
from service.platform.tables import Position
from tests.service import factories
from tests.service.test_imports import EXPERT_HEADER, OFFER_HEADER, expert_row, offer_row

ROLES = ("none", "admin", "hq", "planner", "member_state")
OWN_STATE = "NOR"
_serial = itertools.count(1)


@dataclass
class World:
    """Resources the routes act on; the Member State token in the matrix belongs to NOR, their owner."""

    expert: int
    spare_expert: int
    offer: int
    request: int
    position: int
    token: int
    plan: int
    queued_plan: int
    assignment: int
    deployment: int
    subscription: int
    call: int
    call_position: int
    nomination: int
    proposed_request: int
    erasure: int


def _skill() -> dict:
    return {"code": f"TEST-SKILL-{next(_serial)}", "name": "Test", "area": "Test", "levels": ["tactical"]}


def _mission() -> dict:
    return {"code": f"UNTEST{next(_serial)}", "name": "Test", "host_states": ["HTI"]}


def _hq_offer() -> dict:
    return factories.offer(state=OWN_STATE)


def _csv_file(header: list[str], row: dict) -> dict:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=header)
    writer.writeheader()
    writer.writerow(row)
    return {"file": ("rows.csv", out.getvalue().encode(), "text/csv")}


def _expert_file() -> dict:
    return _csv_file(EXPERT_HEADER, expert_row(next(_serial)))


def _offer_file() -> dict:
    return _csv_file(OFFER_HEADER, offer_row(next(_serial)))


@dataclass
class Case:
    method: str
    path: str
    expected: dict[str, int]
    body: Callable[[], dict] | None = None
    files: Callable[[], dict] | None = None

    @property
    def id(self) -> str:
        return f"{self.method} {self.path}"


def everyone(status: int) -> dict[str, int]:
    return {"none": 401, "admin": status, "hq": status, "planner": status, "member_state": status}


def only(statuses: dict[str, int]) -> dict[str, int]:
    return {"none": 401} | {role: statuses.get(role, 403) for role in ROLES[1:]}


SOON = (date.today() + timedelta(days=30)).isoformat()
STAGE = {"stage": "interview", "result": "passed", "assessed_on": "2026-11-02", "assessor": "panel 2"}
VISIT = {"visited_on": "2026-11-02", "team": "UN assessment team", "result": "failed", "note": "no vehicles yet"}

CASES = [
    Case("GET", "/health", dict.fromkeys(ROLES, 200)),
    Case("GET", "/health/ready", dict.fromkeys(ROLES, 200)),
    Case("GET", "/metrics", only({"admin": 200})),
    Case("GET", "/reference/skills", everyone(200)),
    Case("POST", "/reference/skills", only({"admin": 201}), _skill),
    Case("GET", "/reference/member-states", everyone(200)),
    Case("GET", "/reference/missions", everyone(200)),
    Case("POST", "/reference/missions", only({"admin": 201}), _mission),
    Case("PATCH", "/reference/missions/MINUSCA", only({"admin": 200}), lambda: {"name": "MINUSCA"}),
    Case("GET", "/reference/credential-types", everyone(200)),
    Case(
        "POST", "/reference/credential-types", only({"admin": 201}), lambda: {"code": f"T-{next(_serial)}", "name": "t"}
    ),
    Case("PATCH", "/reference/credential-types/MEDICAL", only({"admin": 200}), lambda: {"name": "medical clearance"}),
    Case("GET", "/experts", everyone(200)),
    Case("POST", "/experts", only({"hq": 201, "member_state": 201}), factories.expert),
    Case("GET", "/experts/duplicates", only({"admin": 200, "hq": 200})),
    Case("GET", "/experts/{expert}", everyone(200)),
    Case("PATCH", "/experts/{expert}", only({"hq": 200, "member_state": 200}), lambda: {"notice_days": 9}),
    Case("DELETE", "/experts/{spare_expert}", only({"hq": 204, "member_state": 204})),
    Case("GET", "/offers", everyone(200)),
    Case("POST", "/offers", only({"hq": 201, "member_state": 201}), _hq_offer),
    Case("GET", "/offers/{offer}", everyone(200)),
    Case("PATCH", "/offers/{offer}", only({"hq": 200, "member_state": 200}), lambda: {"slots": 4}),
    Case("POST", "/offers/{offer}/assessments", only({"hq": 201}), lambda: VISIT),
    Case("GET", "/offers/{offer}/assessments", everyone(200)),
    Case(
        "POST", "/offers/{offer}/readiness", only({"hq": 200}), lambda: {"readiness": "pledged", "reason": "as it is"}
    ),
    Case("GET", "/requests", everyone(200)),
    Case("POST", "/requests", only({"hq": 201, "member_state": 201}), factories.capacity_request),
    Case("GET", "/requests/{request}", everyone(200)),
    Case("PATCH", "/requests/{request}", only({"hq": 200}), lambda: {"priority": 1}),
    Case("GET", "/requests/{request}/positions", everyone(200)),
    Case("POST", "/requests/{request}/positions", only({"hq": 201}), factories.position),
    Case("GET", "/requests/{request}/positions/{position}", everyone(200)),
    Case("PATCH", "/requests/{request}/positions/{position}", only({"hq": 200}), lambda: {"count": 2}),
    Case("DELETE", "/requests/{request}/positions/{position}", only({"hq": 204})),
    Case("PATCH", "/requests/{proposed_request}", only({"hq": 200, "member_state": 200}), lambda: {"priority": 1}),
    Case(
        "POST",
        "/requests/{proposed_request}/decision",
        only({"hq": 200, "admin": 200}),
        lambda: {"decision": "decline", "note": "not in scope"},
    ),
    Case("POST", "/requests/{proposed_request}/withdraw", only({"member_state": 200})),
    Case("POST", "/plans", only({"planner": 202}), lambda: {"today": "2027-01-04"}),
    Case("GET", "/plans", only({"admin": 200, "hq": 200, "planner": 200})),
    Case("GET", "/plans/{plan}", only({"admin": 200, "hq": 200, "planner": 200})),
    Case("DELETE", "/plans/{queued_plan}", only({"planner": 202})),
    Case("GET", "/plans/{plan}/events", only({"admin": 200, "hq": 200, "planner": 200})),
    Case("GET", "/plans/{plan}/assignments", only({"admin": 200, "hq": 200, "planner": 200})),
    Case("GET", "/plans/{plan}/unfilled", only({"admin": 200, "hq": 200, "planner": 200})),
    Case("GET", "/plans/{plan}/positions/{position}/alternatives", only({"admin": 200, "hq": 200, "planner": 200})),
    Case("POST", "/plans/{plan}/review", only({"planner": 200}), lambda: {"pin": [WORLD.assignment]}),
    Case("POST", "/plans/{plan}/assignments/{assignment}/pin", only({"planner": 200})),
    Case("POST", "/plans/{plan}/resolve", only({"planner": 202})),
    Case("GET", "/deployments", everyone(200)),
    Case("GET", "/deployments/ending", everyone(200)),
    Case("GET", "/deployments/{deployment}", everyone(200)),
    Case("PATCH", "/deployments/{deployment}", only({"planner": 200}), lambda: {"note": "checked"}),
    Case("GET", "/calls", everyone(200)),
    Case(
        "POST",
        "/calls",
        only({"admin": 201, "hq": 201, "planner": 201}),
        lambda: {"request_id": WORLD.request, "position_ids": [WORLD.position], "deadline": SOON},
    ),
    Case("GET", "/calls/{call}", everyone(200)),
    Case("POST", "/calls/{call}/close", only({"admin": 200, "hq": 200, "planner": 200})),
    Case("POST", "/calls/{call}/cancel", only({"admin": 200, "hq": 200}), lambda: {"reason": "stood down"}),
    Case(
        "POST",
        "/calls/{call}/nominations",
        only({"member_state": 201}),
        lambda: {"position_id": WORLD.call_position, "offer_id": WORLD.offer},
    ),
    Case("GET", "/nominations", everyone(200)),
    Case("GET", "/nominations/{nomination}", everyone(200)),
    Case("POST", "/nominations/{nomination}/withdraw", only({"member_state": 200})),
    Case(
        "POST",
        "/nominations/{nomination}/decision",
        only({"hq": 200, "planner": 200}),
        lambda: {"decision": "not_selected"},
    ),
    Case("POST", "/nominations/{nomination}/stages", only({"admin": 201, "hq": 201}), lambda: STAGE),
    Case("GET", "/nominations/{nomination}/stages", everyone(200)),
    Case(
        "POST",
        "/deployments/{deployment}/consent",
        only({"admin": 200, "hq": 200, "member_state": 200}),
        lambda: {"decision": "confirm"},
    ),
    Case("GET", "/events", everyone(200)),
    Case("POST", "/subscriptions", only({"hq": 201, "member_state": 201}), lambda: {"url": "https://example.org/hook"}),
    Case("GET", "/subscriptions", only({"admin": 200, "hq": 200, "member_state": 200})),
    Case("GET", "/subscriptions/{subscription}", only({"admin": 200, "hq": 404, "member_state": 200})),
    Case("DELETE", "/subscriptions/{subscription}", only({"hq": 404, "member_state": 204})),
    Case("GET", "/subscriptions/{subscription}/deliveries", only({"admin": 200, "hq": 404, "member_state": 200})),
    Case("GET", "/reports/gaps", everyone(200)),
    Case("POST", "/experts/import", only({"hq": 200, "member_state": 200}), files=_expert_file),
    Case("POST", "/offers/import", only({"hq": 200, "member_state": 200}), files=_offer_file),
    Case("GET", "/experts/import/template", only({"hq": 200, "member_state": 200})),
    Case("GET", "/offers/import/template", only({"hq": 200, "member_state": 200})),
    Case("GET", "/plans/{plan}/export", only({"admin": 200, "hq": 200, "planner": 200})),
    Case("GET", "/deployments/export", everyone(200)),
    Case("GET", "/experts/export", everyone(200)),
    Case("GET", "/offers/export", everyone(200)),
    Case("GET", "/reports/gaps/export", everyone(200)),
    Case("GET", "/tokens", only({"admin": 200})),
    Case("POST", "/tokens", only({"admin": 201}), lambda: {"role": "planner", "name": "new"}),
    Case("DELETE", "/tokens/{token}", only({"admin": 200})),
    Case("GET", "/audit", only({"admin": 200})),
    Case(
        "POST",
        "/privacy/erasures",
        only({"admin": 201, "member_state": 201}),
        lambda: {"expert_id": WORLD.spare_expert, "reason": "asked"},
    ),
    Case("GET", "/privacy/erasures", only({"admin": 200, "hq": 200, "member_state": 200})),
    Case("GET", "/privacy/erasures/{erasure}", only({"admin": 200, "hq": 200, "member_state": 200})),
    Case("POST", "/privacy/erasures/{erasure}/approve", only({"admin": 200, "hq": 200})),
    Case("POST", "/privacy/erasures/{erasure}/decline", only({"admin": 200, "hq": 200})),
    Case("GET", "/privacy/subjects/{expert}", only({"admin": 200, "hq": 200, "member_state": 200})),
]


def test_matrix_covers_every_route(app):
    routes = {(m, p) for p, ops in app.openapi()["paths"].items() for m in ops}
    names = {
        "{queued_plan}": "{plan_id}",
        "{spare_expert}": "{expert_id}",
        "{proposed_request}": "{request_id}",
        "/MINUSCA": "/{code}",
        "/MEDICAL": "/{code}",
        "/pin": "/{decision}",
    }
    names |= {f"{{{n}}}": f"{{{n}_id}}" for n in World.__dataclass_fields__ if f"{{{n}}}" not in names}

    def template(path: str) -> str:
        for ours, theirs in names.items():
            path = path.replace(ours, theirs)
        return path

    covered = {(c.method.lower(), template(c.path)) for c in CASES}
    assert routes - covered == set(), "add the new routes to CASES"


WORLD: World


def _build_world(client, headers, engine) -> World:
    hq, norway, planner, admin = headers["hq"], headers["member_state"], headers["planner"], headers["admin"]
    expert = client.post("/experts", json=factories.expert(nationality=OWN_STATE), headers=norway).json()
    spare = client.post("/experts", json=factories.expert(nationality=OWN_STATE), headers=norway).json()
    offer = client.post("/offers", json=factories.offer(), headers=norway).json()
    request = client.post("/requests", json=factories.capacity_request(), headers=hq).json()
    token = client.post("/tokens", json={"role": "planner", "name": "victim"}, headers=admin).json()
    plan = client.post("/plans", json={"today": "2027-01-04", "workers": 1}, headers=planner).json()
    assert jobs.work_once(engine, "matrix") == plan["id"]
    assignment = client.get(f"/plans/{plan['id']}/assignments", headers=planner).json()["data"][0]
    later = client.post("/requests", json=factories.capacity_request(), headers=hq).json()["positions"][0]
    with Session(engine) as session:
        deployment = deployments.create(
            session,
            position=session.get(Position, later["id"]),
            seat=1,
            expert_id=expert["id"],
            offer_id=None,
            plan_id=None,
            assignment_id=None,
            approved_by="test",
        ).id
        session.commit()
    queued = client.post("/plans", json={"today": "2027-01-04"}, headers=planner).json()
    subscription = client.post("/subscriptions", json={"url": "https://example.org/nor"}, headers=norway).json()
    call, call_position, nomination = _call_and_nomination(client, hq, norway, expert["id"])
    proposed = client.post("/requests", json=factories.capacity_request(), headers=norway).json()
    erasure = client.post("/privacy/erasures", json={"expert_id": expert["id"], "reason": "asked"}, headers=norway)
    return World(
        expert["id"],
        spare["id"],
        offer["id"],
        request["id"],
        request["positions"][0]["id"],
        token["id"],
        plan["id"],
        queued["id"],
        assignment["id"],
        deployment,
        subscription["id"],
        call,
        call_position,
        nomination,
        proposed["id"],
        erasure.json()["id"],
    )


def _call_and_nomination(client, hq: dict, norway: dict, expert: int) -> tuple[int, int, int]:
    """A call to every state on a request of its own (a position that requires an interview), and NOR's expert
    nominated to it."""
    position = factories.position(assessment_stages=["interview"])
    request = client.post("/requests", json=factories.capacity_request(positions=[position]), headers=hq).json()
    body = {"request_id": request["id"], "position_ids": [request["positions"][0]["id"]], "deadline": SOON}
    call = client.post("/calls", json=body, headers=hq).json()
    nominated = {"position_id": request["positions"][0]["id"], "expert_id": expert}
    nomination = client.post(f"/calls/{call['id']}/nominations", json=nominated, headers=norway).json()
    return call["id"], nominated["position_id"], nomination["id"]


@pytest.fixture(scope="module")
def world_db(databases, template_url) -> tuple[str, World]:
    """One database holding the world, built once (it includes a solve); each test gets a copy."""
    url = databases.clone(template_url)
    app = create_app(Settings(database_url=url, environment="test", worker="external"))
    with Session(app.state.engine) as session:
        headers = {}
        for role in ROLES[1:]:
            state = OWN_STATE if role == "member_state" else None
            _, secret = issue_token(session, role=Role(role), name=f"builder {role}", state=state)
            headers[role] = {"Authorization": f"Bearer {secret}"}
        session.commit()
    with TestClient(app) as client:
        world = _build_world(client, headers, app.state.engine)
    app.state.engine.dispose()
    return url, world


@pytest.fixture
def db_url(databases, world_db) -> str:
    return databases.clone(world_db[0])


@pytest.fixture
def world(world_db) -> World:
    global WORLD
    WORLD = world_db[1]
    return WORLD


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_role_on_route(client, auth, world, case: Case, role: str):
    headers = {} if role == "none" else auth(role, OWN_STATE if role == "member_state" else None)
    path = case.path.format(**vars(world))
    body = case.body() if case.body else None
    files = case.files() if case.files else None
    response = client.request(case.method, path, headers=headers, json=body, files=files)
    assert response.status_code == case.expected[role], response.text
    if response.status_code in (401, 403):
        assert response.json()["error"] in ("unauthorized", "forbidden") and response.json()["detail"]


class TestCrossStateIsolation:
    """Another state's ids answer exactly as missing ids do."""

    def test_other_states_experts_and_offers_are_invisible(self, client, auth, world):
        ghana = auth("member_state", "GHA")
        for path in (f"/experts/{world.expert}", f"/offers/{world.offer}"):
            other, missing = (
                client.get(path, headers=ghana),
                client.get(path.rsplit("/", 1)[0] + "/999999", headers=ghana),
            )
            assert other.status_code == missing.status_code == 404
            assert other.json()["error"] == missing.json()["error"] == "not_found"
            assert other.json()["detail"].replace(str(world.expert), "N").replace(
                str(world.offer), "N"
            ) == missing.json()["detail"].replace("999999", "N")
        assert client.patch(f"/experts/{world.expert}", json={"notice_days": 1}, headers=ghana).status_code == 404
        assert client.delete(f"/experts/{world.expert}", headers=ghana).status_code == 404
        assert client.patch(f"/offers/{world.offer}", json={"status": "withdrawn"}, headers=ghana).status_code == 404
        assert client.get(f"/offers/{world.offer}/assessments", headers=ghana).status_code == 404
        assert client.get(f"/experts/{world.expert}", headers=auth("hq")).json()["notice_days"] == 30
        assert client.get(f"/offers/{world.offer}", headers=auth("hq")).json()["status"] == "submitted"

    def test_other_states_nominations_are_invisible_and_untouchable(self, client, auth, world):
        ghana = auth("member_state", "GHA")
        for path in (f"/nominations/{world.nomination}", f"/nominations/{world.nomination}/stages"):
            other, missing = (
                client.get(path, headers=ghana),
                client.get(path.replace(str(world.nomination), "999999"), headers=ghana),
            )
            assert other.status_code == missing.status_code == 404
            assert other.json()["detail"].replace(str(world.nomination), "N") == missing.json()["detail"].replace(
                "999999", "N"
            )
        assert client.post(f"/nominations/{world.nomination}/withdraw", headers=ghana).status_code == 404
        assert client.get("/nominations", headers=ghana).json() == {"data": [], "count": 0}
        assert client.get(f"/nominations/{world.nomination}", headers=auth("hq")).json()["status"] == "nominated"

    def test_another_states_selection_cannot_be_answered(self, client, auth, world):
        ghana, decline = auth("member_state", "GHA"), {"decision": "decline", "note": "not ours to refuse"}
        other = client.post(f"/deployments/{world.deployment}/consent", json=decline, headers=ghana)
        missing = client.post("/deployments/999999/consent", json=decline, headers=ghana)
        assert other.status_code == missing.status_code == 404
        assert other.json()["detail"].replace(str(world.deployment), "N") == missing.json()["detail"].replace(
            "999999", "N"
        )
        assert client.get(f"/deployments/{world.deployment}", headers=auth("hq")).json()["status"] == (
            "awaiting_consent"
        )

    def test_lists_hold_only_own_rows(self, client, auth, world):
        ghana = auth("member_state", "GHA")
        client.post("/experts", json=factories.expert(nationality="GHA"), headers=ghana)
        client.post("/experts", json=factories.expert(state=None), headers=auth("hq"))  # UN staff
        experts = client.get("/experts", headers=ghana).json()
        assert experts["count"] == 1 and {e["state"] for e in experts["data"]} == {"GHA"}
        assert client.get(f"/experts?state={OWN_STATE}", headers=ghana).json()["count"] == 0
        assert client.get(f"/offers?state={OWN_STATE}", headers=ghana).json()["count"] == 0
        assert client.get("/experts", headers=auth("planner")).json()["count"] == 4

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
        listed = {r["id"]: r["status"] for r in client.get("/requests", headers=ghana).json()["data"]}
        assert open_["id"] in listed and draft["id"] not in listed
        assert set(listed.values()) <= {"submitted", "planning", "partly_filled"}
        assert client.get(f"/requests/{draft['id']}", headers=auth("planner")).status_code == 200

    def test_an_expert_with_deployments_is_kept(self, client, auth, world):
        deactivated = client.delete(f"/experts/{world.expert}", headers=auth("member_state", OWN_STATE))
        assert deactivated.status_code == 204
        kept = client.get(f"/experts/{world.expert}", headers=auth("hq"))
        assert kept.status_code == 200 and kept.json()["active"] is False

    def test_revoked_and_forged_tokens_are_refused(self, client, auth):
        assert client.get("/experts", headers={"Authorization": "Bearer rst_forged"}).status_code == 401
        assert client.get("/experts", headers={"Authorization": "Basic abc"}).status_code == 401
        assert client.get("/experts", headers={"Authorization": "Bearer"}).status_code == 401
