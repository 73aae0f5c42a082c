"""Issue 16 in Chromium: Undo on the plan page, and a plan a newer one replaced is read-only with a banner."""

import os
import re
from pathlib import Path

from playwright.sync_api import expect

from tests.web.conftest import sign_in
from tests.web.test_flows import PLAN_TIMEOUT, _start_plan

APPROVED_ONE = "1 assignment approved (1 deployment, 1 awaiting consent)."  # a Member State's expert

KEEP = os.environ.get("ROSTER_SCREENSHOTS_TO")  # e.g. /tmp/me: also save the screenshots there, to look at them


def _shot(page, shots, name: str) -> None:
    path = shots(page, name)
    if KEEP:
        Path(KEEP).mkdir(parents=True, exist_ok=True)
        Path(KEEP, path.name).write_bytes(path.read_bytes())


def _row(page, assignment: str):
    return page.locator(f'table.assignments tr[data-assignment="{assignment}"]')


def test_undo_then_a_newer_plan_makes_this_one_read_only(page, token, shots):
    sign_in(page, token("planner"))
    old_url = _start_plan(page)
    old_id = old_url.rsplit("/", 1)[1]
    proposed = page.locator("table.assignments tbody tr").filter(has=page.locator(".badge.proposed"))
    approved, rejected = (
        proposed.nth(0).get_attribute("data-assignment"),
        proposed.nth(1).get_attribute("data-assignment"),
    )
    _row(page, approved).locator("button", has_text="Approve").click()
    expect(page.locator(".notice")).to_have_text(APPROVED_ONE)
    _row(page, rejected).locator("button", has_text="Reject").click()
    expect(page.locator(".notice")).to_have_text("1 assignment rejected.")

    _row(page, rejected).get_by_role("button", name="Undo").click()
    expect(page.locator(".notice")).to_have_text("1 assignment back to proposed.")
    expect(_row(page, rejected).locator(".badge")).to_have_text("proposed")
    _row(page, approved).get_by_role("button", name="Undo").click()
    expect(page.locator(".notice")).to_have_text("1 assignment back to proposed (1 deployment cancelled).")
    expect(_row(page, approved).locator(".badge")).to_have_text("proposed")
    expect(_row(page, approved).get_by_role("button", name="Undo")).to_have_count(0)
    _row(page, approved).locator("button", has_text="Approve").click()
    expect(page.locator(".notice")).to_have_text(APPROVED_ONE)

    newer = page.context.new_page()  # a colleague starts a plan over every request while this page stays open
    newer.goto("/ui/plans")
    new_url = _start_plan(newer)
    new_id = new_url.rsplit("/", 1)[1]
    newer.close()

    _row(page, rejected).locator("button", has_text="Approve").click()  # the stale page still shows the buttons
    problem = page.locator("#refusal")  # the page again, the refusal on top as an error
    expect(problem).to_contain_text(
        f"plan {old_id} was replaced by plan {new_id} (newer, over the same requests): review plan {new_id}"
    )
    expect(problem.get_by_role("button", name="Approve anyway")).to_have_count(0)  # no reason overrides this
    expect(page.locator(".notice")).to_have_count(0)
    banner = page.locator("#superseded")
    expect(banner).to_contain_text(f"Plan {old_id} was replaced by plan {new_id}")
    expect(page.locator("table.assignments button", has_text=re.compile("^(Approve|Reject|Pin)$"))).to_have_count(0)
    expect(page.locator("input[name=selected]")).to_have_count(0)
    expect(page.get_by_role("button", name="Approve selected")).to_have_count(0)
    expect(_row(page, rejected).locator(".badge")).to_have_text("proposed")
    expect(_row(page, approved).get_by_role("button", name="Undo")).to_be_visible()
    _shot(page, shots, "plan-superseded")

    _row(page, approved).get_by_role("button", name="Undo").click()  # undo stays possible on a replaced plan
    expect(page.locator(".notice")).to_have_text("1 assignment back to proposed (1 deployment cancelled).")
    expect(page.locator("#superseded")).to_be_visible()
    page.locator("#superseded").get_by_role("link", name=f"plan {new_id}").first.click()
    expect(page).to_have_url(re.compile(rf"/ui/plans/{new_id}$"))
    expect(page.locator("#superseded")).to_have_count(0)
    expect(page.get_by_role("heading", name="Proposed assignments")).to_be_visible(timeout=PLAN_TIMEOUT)
    expect(page.get_by_role("button", name="Approve selected")).to_be_visible()
