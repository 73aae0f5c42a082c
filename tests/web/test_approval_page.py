"""A refused approval on the plan page: the reason shown as an error, never as success, and a way to override it."""

import httpx
from playwright.sync_api import expect

from tests.web.conftest import sign_in
from tests.web.test_flows import _start_plan

APPROVED_ONE = "1 assignment approved (1 deployment, 1 awaiting consent)."  # a Member State's expert

REASON = "Screening renewal confirmed by the Member State on the phone"


def _change_expert(base_url: str, secret: str, supplier: str, change: dict) -> None:
    headers = {"Authorization": f"Bearer {secret}"}
    answer = httpx.patch(f"{base_url}/experts/{supplier.removeprefix('E')}", json=change, headers=headers)
    assert answer.status_code == 200, answer.text


def test_a_refused_approval_is_an_error_and_a_reason_approves_it_anyway(page, token, base_url, shots):
    sign_in(page, token("planner"))
    plan_url = _start_plan(page)
    rows = page.locator('table.assignments tr[data-supplier^="E"]:has(button:text-is("Approve"))')
    lapsed, gone = rows.nth(0), rows.nth(1)
    lapsed_id, gone_id = lapsed.get_attribute("data-assignment"), gone.get_attribute("data-assignment")
    _change_expert(
        base_url, token("hq"), lapsed.get_attribute("data-supplier"), {"screening_valid_until": "2020-12-31"}
    )
    _change_expert(base_url, token("hq"), gone.get_attribute("data-supplier"), {"active": False})

    lapsed.get_by_role("button", name="Approve", exact=False).first.click()
    refusal = page.locator("#refusal")
    expect(refusal).to_contain_text("lacks a valid human-rights screening through")
    expect(refusal).to_contain_text("Approve with an override reason")
    expect(page.locator(".notice")).to_have_count(0)
    expect(page.locator(f'tr[data-assignment="{lapsed_id}"] .badge')).to_have_text("proposed")
    shots(page, "approval-refused")

    page.get_by_label("Reason to approve").fill("          ok")  # long enough for the browser, not once trimmed
    page.get_by_role("button", name="Approve anyway").click()
    expect(page.locator("#refusal")).to_contain_text("Write a reason of 10 to 1000 characters")
    page.get_by_label("Reason to approve").fill(REASON)
    page.get_by_role("button", name="Approve anyway").click()
    expect(page.locator(".notice")).to_have_text(APPROVED_ONE)
    expect(page.locator(f'tr[data-assignment="{lapsed_id}"] .badge')).to_have_text("approved")

    page.goto(plan_url)
    page.locator(f'tr[data-assignment="{gone_id}"]').get_by_role("button", name="Approve", exact=False).first.click()
    expect(page.locator("#refusal")).to_contain_text("is no longer active on the roster (no reason overrides this)")
    expect(page.get_by_role("button", name="Approve anyway")).to_have_count(0)
    expect(page.locator(".notice")).to_have_count(0)
    shots(page, "approval-refused-unbreakable")
