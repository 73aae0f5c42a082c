"""The whole journey in Chromium, as the people who take each step see it (issue 18): HQ opens a call from a
request; Norway nominates its expert; HQ records the interview; a plan on nominations proposes her and a planner
approves; Norway confirms the selection on its page and sees its nomination selected.

An app and a database of their own: the shared demo app's flows count requests and plans.
"""

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import expect

from service.app import create_app
from service.planning import jobs
from service.platform.settings import Settings
from tests.service import factories
from tests.service.conftest import serve
from tests.web.conftest import issue, page_at, sign_in


@pytest.fixture(scope="module")
def journey_app(databases, template_url):
    """A request of one police adviser, and a Norwegian expert who fits it."""
    app = create_app(Settings(database_url=databases.clone(template_url), environment="test", worker="external"))
    tokens = {role: issue(app, role) for role in ("hq", "planner")} | {"NOR": issue(app, "member_state", "NOR")}
    with TestClient(app) as client:
        position = factories.position(title="Police adviser")
        body = factories.capacity_request(title="Community policing", positions=[position])
        request = client.post("/requests", json=body, headers=_bearer(tokens["hq"])).json()
        expert = factories.expert(full_name="Ingrid Haugen", nationality="NOR")
        made = client.post("/experts", json=expert, headers=_bearer(tokens["NOR"])).json()
    with serve(app) as url:
        yield {"url": url, "app": app, "tokens": tokens, "request": request, "expert": made}
    app.state.engine.dispose()


def _bearer(secret: str) -> dict:
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def journey_page(browser, journey_app):
    with page_at(browser, journey_app["url"], 900) as page:
        yield page


def _plan_and_approve(app, tokens: dict, request_id: int) -> int:
    """A plan on nominations over the request, run by a worker, its one proposal approved; the deployment."""
    planner = _bearer(tokens["planner"])
    with TestClient(app) as client:
        body = {"today": "2027-01-04", "time_limit": 10, "candidates": "nominations", "request_ids": [request_id]}
        plan = client.post("/plans", json=body, headers=planner).json()
        assert jobs.work_once(app.state.engine, "journey-worker") == plan["id"]
        (proposal,) = client.get(f"/plans/{plan['id']}/assignments", headers=planner).json()["data"]
        review = client.post(f"/plans/{plan['id']}/review", json={"approve": [proposal["id"]]}, headers=planner)
        assert review.status_code == 200, review.text
        return review.json()["deployments"][0]


def test_a_call_from_nomination_to_consent(journey_page, journey_app, shots):
    page, request, tokens = journey_page, journey_app["request"], journey_app["tokens"]
    position = request["positions"][0]["id"]
    name = journey_app["expert"]["full_name"]

    # HQ asks for an interview on the position, then opens a call for every Member State from the request's page
    sign_in(page, tokens["hq"])
    page.goto(f"/ui/requests/{request['id']}")
    page.get_by_role("link", name="Edit request and positions").click()
    page.locator("fieldset.position").first.get_by_label("interview").check()
    shots(page, "journey-stages-form")
    page.get_by_role("button", name="Save changes").click()
    expect(page.locator(".notice")).to_contain_text("saved")
    page.goto(f"/ui/requests/{request['id']}")
    page.get_by_role("link", name="Open a call for nominations").click()
    page.get_by_label("Police adviser").check()
    page.get_by_label("Deadline").fill("2100-12-31")
    page.get_by_role("button", name="Open call").click()
    expect(page.locator(".notice")).to_contain_text("opened until 2100-12-31")
    call_path = page.url.split("?")[0]
    page.goto(f"/ui/requests/{request['id']}")  # the request names its stages and links its call
    expect(page.locator(f"#position-{position} .stages")).to_contain_text("stages: interview")
    page.locator("#calls-of-request").get_by_role("link").first.click()
    expect(page).to_have_url(call_path)

    # Norway finds the call, reads what the position asks, and nominates its expert
    sign_in(page, tokens["NOR"])
    page.goto("/ui/calls")
    page.locator("#calls").get_by_role("link", name=request["title"]).first.click()
    expect(page.locator(f"#position-{position}")).to_contain_text("interview")
    form = page.locator("form", has=page.get_by_role("heading", name="Nominate"))
    form.get_by_label("Position").select_option(str(position))
    form.get_by_label("Expert or offer").select_option(f"E{journey_app['expert']['id']}")
    form.get_by_label("Note").fill("ten years of community policing in Oslo")
    form.get_by_role("button", name="Nominate").click()
    expect(page.locator(".notice")).to_contain_text(f"{name} nominated for position {position}")
    shots(page, "journey-nominated", full_page=True)

    # HQ records the interview she passed
    sign_in(page, tokens["hq"])
    page.goto(call_path)
    form = page.get_by_role("form", name=f"Record a stage result for {name}")
    form.get_by_label("Stage").select_option("interview")
    form.get_by_label("Result").select_option("passed")
    form.get_by_label("Assessor").fill("Selection panel")
    form.get_by_role("button", name="Record result").click()
    expect(page.locator(".notice")).to_contain_text(f"interview of {name} recorded (passed)")

    # a plan on nominations proposes her; the planner approves: Norway's consent is asked
    deployment = _plan_and_approve(journey_app["app"], tokens, request["id"])

    # Norway confirms on its page; its nomination is selected
    sign_in(page, tokens["NOR"])
    page.goto("/ui/offers")
    expect(page.get_by_role("heading", name="Selections awaiting your consent")).to_be_visible()
    row = page.locator(f"#consent-{deployment}")
    expect(row).to_contain_text(name)
    shots(page, "journey-consent", full_page=True)
    row.get_by_role("button", name="Confirm").click()
    expect(page.locator(".notice")).to_contain_text(f"deployment {deployment} confirmed: it is planned")
    expect(page.locator(f"#consent-{deployment}")).to_have_count(0)
    page.goto(call_path)
    mine = page.locator("tr", has=page.get_by_role("cell", name=name, exact=True))
    expect(mine).to_contain_text("selected")
    expect(mine).to_contain_text("deployment planned")
    expect(mine).to_contain_text("interview: passed")
    shots(page, "journey-selected", full_page=True)
