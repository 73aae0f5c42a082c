"""Deployments at risk in Chromium: listed first with the reason, and replaced in a few clicks.

An app and a database of its own: the shared demo app's other flows count its deployments.
"""

import re

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import expect

from service.app import create_app
from service.platform.settings import Settings
from tests.service import factories
from tests.service.conftest import serve
from tests.web.conftest import issue, page_at, sign_in

PLAN_TIMEOUT = 90_000


@pytest.fixture(scope="module")
def risky(databases, template_url):
    """Norway's two advisers deployed on a request of two seats, a spare adviser; then Ane goes on leave."""
    app = create_app(
        Settings(
            database_url=databases.clone(template_url), environment="test", worker="inprocess", worker_poll_seconds=0.1
        )
    )
    hq = {"Authorization": f"Bearer {issue(app, 'hq')}"}
    norway = {"Authorization": f"Bearer {issue(app, 'member_state', 'NOR')}"}
    with TestClient(app) as client:
        positions = [factories.position(title="Police adviser"), factories.position(title="Justice adviser")]
        request = client.post("/requests", json=factories.capacity_request(positions=positions), headers=hq).json()
        people = [
            client.post("/experts", json=factories.expert(full_name=n, nationality="NOR"), headers=norway).json()["id"]
            for n in ("Ane Berg", "Bjorn Dahl")
        ]
        client.post("/experts", json=factories.expert(full_name="Sara Spare", nationality="NOR"), headers=hq)
        ids = [
            factories.deploy(app.state.engine, position["id"], expert=expert)
            for position, expert in zip(request["positions"], people)
        ]
        etag = client.get(f"/experts/{people[0]}", headers=norway).headers["etag"]
        leave = {"leave": [{"start": "2027-05-01", "end": "2027-05-31"}]}
        assert client.patch(f"/experts/{people[0]}", json=leave, headers=norway | {"If-Match": etag}).status_code == 200
    with serve(app) as url:
        yield {"url": url, "app": app, "deployments": ids}
    app.state.engine.dispose()


@pytest.fixture
def risk_page(browser, risky):
    with page_at(browser, risky["url"], 800) as page:
        yield page


def test_deployments_at_risk_come_first_with_the_reason_and_a_replacement(risk_page, risky, shots):
    page = risk_page
    at_risk = risky["deployments"][0]
    sign_in(page, issue(risky["app"], "planner"))
    page.goto("/ui/deployments")
    section = page.locator("#at-risk")
    expect(section.get_by_role("heading")).to_have_text("At risk: 1 deployment no longer fits")
    rows = section.locator("tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Ane Berg is not available for the whole period (windows or leave).")
    first = page.locator("main section.card").first
    expect(first).to_have_id("at-risk")  # before the reminders and the charts
    expect(page.locator("#deployments-table a.badge.at-risk")).to_have_count(1)
    shots(page, "deployments-at-risk", full_page=True)

    rows.first.get_by_role("button", name="Find a replacement").click()
    expect(page).to_have_url(re.compile(r"/ui/plans/\d+"))
    expect(page.locator(".notice")).to_contain_text(f"Finding a replacement for deployment {at_risk}")
    expect(page.get_by_role("heading", name="Proposed assignments")).to_be_visible(timeout=PLAN_TIMEOUT)
    proposals = page.locator("table.assignments tbody tr")
    expect(proposals).to_have_count(1)
    expect(proposals.first).to_contain_text("Sara Spare")
    proposals.first.locator("button", has_text="Approve").click()
    expect(page.locator(".notice")).to_contain_text("1 assignment approved")

    page.goto("/ui/deployments")
    expect(page.locator("#at-risk")).to_have_count(0)
    table = page.locator("#deployments-table tbody")
    expect(table.locator("tr", has_text="Ane Berg")).to_contain_text("cancelled")
    expect(table.locator("a.badge.at-risk")).to_have_count(0)
    expect(table.locator("tr", has_text="Bjorn Dahl")).to_contain_text("awaiting consent")  # Norway's to confirm
    expect(table.locator("tr", has_text="Sara Spare")).to_contain_text("planned")  # UN staff: no consent asked
    shots(page, "deployments-after-replacement", full_page=True)
