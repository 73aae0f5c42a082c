"""axe-core (axe-playwright-python, which bundles axe.min.js: no network) on every page, each role's: no violation
of any impact, charts included (drawn before axe runs).

An app and a database of their own (the demo, one plan solved, two of its assignments approved so the Gantt
chart has bars): the shared demo app's flows count requests and plans.
"""

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from service.platform.tables import CapacityRequest, Expert, NominationCall, Offer, PlanAssignment, PlanUnfilled
from tests.service.conftest import serve
from tests.web.conftest import TODAY, demo_app, issue, page_at, sign_in

CHARTS = {"/ui/gaps": "#heatmap", "/ui/deployments": "#gantt-person"}
DRAWN = "box => box.querySelector('.main-svg') || box.textContent.trim()"  # a chart, or its "nothing to show"


def _solved_plan(app, planner: str) -> int:
    """A plan of every open request, solved; two of its assignments approved (deployments for the Gantt)."""
    headers = {"Authorization": f"Bearer {planner}"}
    with TestClient(app) as client:
        plan_id = client.post("/plans", json={"today": TODAY, "time_limit": 5}, headers=headers).json()["id"]
        with client.stream("GET", f"/plans/{plan_id}/events", headers=headers) as stream:
            next(line for line in stream.iter_lines() if line.startswith("event: end"))
        with Session(app.state.engine) as session:
            rows = session.exec(select(PlanAssignment.id).where(PlanAssignment.plan_id == plan_id).limit(2)).all()
        review = client.post(f"/plans/{plan_id}/review", json={"approve": list(rows)}, headers=headers)
        assert review.status_code == 200, review.text
    return plan_id


def _paths(app, plan_id: int) -> dict[str, list[str]]:
    """Every page to check, by who sees it."""
    with Session(app.state.engine) as session:
        request_id = session.exec(select(CapacityRequest.id).order_by(col(CapacityRequest.id))).first()
        offer = session.exec(select(Offer).where(Offer.state == "NOR")).first()
        expert = session.exec(select(Expert).where(Expert.state == "NOR")).first()
        call_id = session.exec(select(NominationCall.id)).first()
        empty = session.exec(select(PlanUnfilled).where(PlanUnfilled.plan_id == plan_id)).first()
    plan = f"/ui/plans/{plan_id}"
    staff = ["/ui/requests", f"/ui/requests/{request_id}", "/ui/plans", plan, "/ui/deployments", "/ui/gaps"]
    staff += ["/ui/offers", f"/ui/offers/{offer.id}", "/ui/calls", f"/ui/requests/{request_id}/call"]
    staff += [f"/ui/calls/{call_id}"] if call_id else []
    staff += [f"{plan}/positions/{empty.position_id}/alternatives?seat={empty.seat}"] if empty else []
    state = ["/ui/offers", f"/ui/offers/{offer.id}", "/ui/offers/new", f"/ui/offers/{offer.id}/edit"]
    state += [f"/ui/offers/{offer.id}/withdraw", "/ui/experts/new", "/ui/requests/new", "/ui/calls", "/ui/deployments"]
    state += [f"/ui/experts/{expert.id}/edit", f"/ui/experts/{expert.id}/deactivate"] if expert else []
    return {"planner": staff, "hq": ["/ui/requests/new", f"/ui/requests/{request_id}/edit"], "NOR": state}


@pytest.fixture(scope="module")
def axe_app(databases, template_url):
    with demo_app(databases, template_url) as app:
        tokens = {"planner": issue(app, "planner"), "hq": issue(app, "hq"), "NOR": issue(app, "member_state", "NOR")}
        plan_id = _solved_plan(app, tokens["planner"])
        with serve(app) as url:
            yield {"url": url, "tokens": tokens, "paths": _paths(app, plan_id)}


def _violations(page) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [
        f"{page.url.split('/ui', 1)[-1]}: {v['id']} ({v['impact']}) {v['help']}: "
        + "; ".join(" ".join(map(str, node["target"])) for node in v["nodes"][:5])
        for v in results.response["violations"]
    ]


def _check(page, path: str) -> list[str]:
    answer = page.goto(path)
    assert answer is not None and answer.status < 400, (path, answer and answer.status)
    if path in CHARTS:
        page.wait_for_function(f"() => ({DRAWN})(document.querySelector('{CHARTS[path]}'))")
    return _violations(page)


@pytest.mark.parametrize("who", ["planner", "hq", "NOR"])
def test_no_page_has_an_accessibility_violation(browser, axe_app, who):
    found: list[str] = []
    with page_at(browser, axe_app["url"], 900) as page:
        sign_in(page, axe_app["tokens"][who])
        for path in axe_app["paths"][who]:
            found += _check(page, path)
    assert not found, "\n".join(found)


def test_sign_in_and_error_pages_have_no_accessibility_violation(browser, axe_app):
    with page_at(browser, axe_app["url"], 900) as page:
        page.goto("/ui/signin")
        found = _violations(page)
        page.get_by_label("API token").fill("not a token")
        page.get_by_role("button", name="Sign in").click()
        found += _violations(page)  # refused: the error beside the field
        sign_in(page, axe_app["tokens"]["NOR"])
        assert page.goto("/ui/plans/999999").status >= 400
        found += _violations(page)
    assert not found, "\n".join(found)


def test_a_running_plan_s_progress_has_no_accessibility_violation(browser, axe_app):
    headers = {"Authorization": f"Bearer {axe_app['tokens']['planner']}"}
    with httpx.Client(base_url=axe_app["url"], headers=headers, timeout=30) as api:
        plan = api.post("/plans", json={"today": TODAY, "time_limit": 30}).json()
        try:
            with page_at(browser, axe_app["url"], 900) as page:
                sign_in(page, axe_app["tokens"]["planner"])
                page.goto(f"/ui/plans/{plan['id']}")
                page.locator("#progress").wait_for()
                found = _violations(page)
        finally:
            api.delete(f"/plans/{plan['id']}")
    assert not found, "\n".join(found)
