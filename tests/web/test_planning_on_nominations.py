"""The plan form chooses where candidates come from and whether the plan is provisional; the plan page says so,
and an empty seat's steps say that no nomination was received, in plain words (Chromium)."""

import re

from playwright.sync_api import expect

from tests.web.conftest import sign_in
from tests.web.test_flows import PLAN_TIMEOUT, TODAY


def test_a_plan_on_nominations_only_says_no_nomination_was_received(page, token, shots):
    sign_in(page, token("planner"))
    page.get_by_label("Planning date").fill(TODAY)
    page.get_by_label("Time limit (seconds)").fill("5")
    page.get_by_label("Candidates").select_option("nominations")
    page.get_by_label("Provisional: propose nominees not yet assessed").check()
    page.get_by_role("button", name="Start plan").click()
    expect(page).to_have_url(re.compile(r"/ui/plans/\d+$"))
    expect(page.get_by_role("heading", name="Unfilled positions")).to_be_visible(timeout=PLAN_TIMEOUT)
    expect(page.locator("#plan-candidates")).to_have_text(
        "Candidates: nominations only · provisional: nominees not yet assessed may be proposed"
    )
    unfilled = page.locator(".unfilled").first
    expect(unfilled).to_contain_text("no nomination was received for this position")
    unfilled.get_by_text("Step by step").click()
    expect(unfilled.locator(".reasons")).to_contain_text("takes only candidates their Member State nominated")
    shots(page, "plan-on-nominations")
