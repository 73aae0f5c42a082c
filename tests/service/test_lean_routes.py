"""Lean routes answer exactly as FastAPI's own handling of the same signature would."""

import pytest
from fastapi.dependencies import utils as fastapi_dependencies
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from service.app import create_app
from service.platform.lean import LeanRoute
from service.platform.settings import Settings
from tests.service import factories

URLS = [
    "/experts",
    "/experts?limit=1&offset=1",
    "/experts?skill=DDR-DESIGN:2&skill=SSR-STRATEGY",
    "/experts?language=fr:3&available_from=2027-01-01&available_to=2027-02-01&active=true",
    "/experts?q=Awa&level=strategic&category=police&source=roster&nationality=SEN&state=SEN",
    "/experts?unknown=1",
    "/experts?skill=",
    # refused: each names the field to fix
    "/experts?limit=0",
    "/experts?limit=abc",
    "/experts?offset=-1",
    "/experts?min_proficiency=9",
    "/experts?category=navy",
    "/experts?nationality=sen",
    "/experts?active=maybe",
    "/experts?q=" + "x" * 101,
    "/experts?available_from=2027-13-01&available_to=2027-12-01",
    "/experts?available_from=2027-05-01",
    "/experts?skill=NOPE",
    "/experts?limit=0&offset=-1&level=none",
    "/experts/{id}",
    "/experts/{other}",
    "/experts/999999",
    "/experts/abc",
    "/experts/0",
    "/experts/-1",
    "/experts/99999999999999999999",
    "/experts/1.5",
]


def _answers(app, secrets: dict[str, str], ids: dict[str, int]) -> list[tuple]:
    with TestClient(app, raise_server_exceptions=False) as client:
        found = []
        for role, secret in secrets.items():
            headers = {"Authorization": f"Bearer {secret}"}
            for url in [*(u.format(**ids) for u in URLS), "/experts/{id}".format(**ids)]:
                response = client.get(url, headers=headers)
                found.append((role, url, response.status_code, response.json(), response.headers.get("etag")))
            found.append(("nobody", "/experts", client.get("/experts").status_code))
    return found


def test_lean_routes_answer_as_fastapi_would(db_url, app, client, auth, monkeypatch):
    ids = {
        "id": client.post("/experts", json=factories.expert(nationality="SEN"), headers=auth("hq")).json()["id"],
        "other": client.post(
            "/experts", json=factories.expert(email="b@example.org", national_id="B-2"), headers=auth("hq")
        ).json()["id"],
    }
    secrets = {
        role: auth(role, state)["Authorization"].removeprefix("Bearer ")
        for role, state in (("planner", None), ("member_state", "SEN"))
    }
    solved = []  # FastAPI's per-request parameter handling, which lean routes skip
    solve = fastapi_dependencies.request_params_to_args
    monkeypatch.setattr(fastapi_dependencies, "request_params_to_args", lambda *a: solved.append(1) or solve(*a))
    lean = _answers(app, secrets, ids)
    assert not solved

    monkeypatch.setattr(LeanRoute, "get_route_handler", APIRoute.get_route_handler)
    plain = create_app(Settings(database_url=db_url, environment="test", worker="external"))
    try:
        assert _answers(plain, secrets, ids) == lean
        assert solved  # the comparison was with FastAPI's own handling
    finally:
        plain.state.engine.dispose()
        plain.state.read_engine.dispose()


def test_a_lean_route_refuses_what_it_cannot_supply():
    async def endpoint(body: dict): ...

    with pytest.raises(TypeError, match="cannot supply body"):
        LeanRoute("/x", endpoint, methods=["GET"]).get_route_handler()
