"""Issue 20 in Chromium: decide on a row without leaving the page, the keyboard's next-undecided key, Re-solve and
Undo buttons, plain words instead of the solver's codes, and alternatives ranked by the plan's own score."""

import re

from playwright.sync_api import expect

from tests.web.conftest import TODAY, sign_in
from tests.web.test_flows import PLAN_TIMEOUT, _start_plan

CODES = re.compile(r"\bE\d+\b|\bO\d+\b|\bP\d+-\d+\b|\bR\d+:")


def _row(page, assignment: str):
    return page.locator(f'table.assignments tr[data-assignment="{assignment}"]')


def _focused_row(page) -> str | None:
    return page.evaluate("() => document.activeElement.closest('tr[data-assignment]')?.dataset.assignment ?? null")


def test_decisions_happen_in_place_and_keep_the_focus_on_the_row(page, token, shots):
    sign_in(page, token("planner"))
    url = _start_plan(page)
    page.evaluate("() => { window.stillHere = 'yes'; }")
    open_count = int(page.locator("#open-count").inner_text().split()[0])
    undecided = page.locator("table.assignments tr.undecided")
    first = undecided.nth(0).get_attribute("data-assignment")

    _row(page, first).get_by_role("button", name="Reject", exact=False).click()
    expect(_row(page, first).locator(".badge")).to_have_text("rejected")
    expect(page.locator(".notice")).to_have_text("1 assignment rejected.")
    expect(page.locator("#open-count")).to_have_text(f"{open_count - 1} proposals still to decide.")
    assert page.url == url and page.evaluate("() => window.stillHere") == "yes"  # no navigation
    assert _focused_row(page) == first
    expect(_row(page, first).get_by_role("button", name="Undo", exact=False)).to_be_focused()

    expect(page.locator("#key-hint")).to_be_visible()
    page.keyboard.press("n")  # the next proposal still to decide, its first button focused
    second = page.locator("table.assignments tr.undecided").nth(0).get_attribute("data-assignment")
    assert _focused_row(page) == second
    expect(_row(page, second).get_by_role("button", name="Approve", exact=False)).to_be_focused()
    page.keyboard.press("Enter")
    expect(_row(page, second).locator(".badge")).to_have_text("approved")
    expect(page.locator(".notice")).to_contain_text("1 assignment approved")
    made = _row(page, second).get_by_role("link", name=re.compile(r"^deployment \d+$"))
    expect(made).to_have_attribute("href", re.compile(r"^/ui/deployments#deployment-\d+$"))  # that one, not the list
    assert _focused_row(page) == second and page.evaluate("() => window.stillHere") == "yes"
    page.keyboard.press("n")
    third = _focused_row(page)
    assert third not in (None, first, second)
    assert _row(page, third).get_attribute("class") == "undecided"
    _row(page, third).get_by_role("checkbox").check()  # ticked: the focus is on its checkbox, and n still moves
    page.keyboard.press("n")
    assert _focused_row(page) not in (None, first, second, third)
    shots(page, "plan-review-in-place")

    _row(page, first).get_by_role("button", name="Undo", exact=False).click()  # Undo, in place too
    expect(_row(page, first).locator(".badge")).to_have_text("proposed")
    expect(page.locator(".notice")).to_have_text("1 assignment back to proposed.")
    _row(page, second).get_by_role("button", name="Undo", exact=False).click()
    expect(page.locator(".notice")).to_have_text("1 assignment back to proposed (1 deployment cancelled).")
    expect(_row(page, second).get_by_role("button", name="Undo", exact=False)).to_have_count(0)
    assert page.url == url and page.evaluate("() => window.stillHere") == "yes"

    page.reload()  # what the rows said in place is what the page says
    expect(_row(page, first).locator(".badge")).to_have_text("proposed")
    expect(page.locator("#open-count")).to_have_text(f"{open_count} proposals still to decide.")


def test_exports_then_resolve_keeps_the_planning_date_and_the_old_plan_turns_read_only(page, token):
    sign_in(page, token("planner"))
    old_url = _start_plan(page)
    old_id = old_url.rsplit("/", 1)[1]
    for link, ending in (("Download XLSX", ".xlsx"), ("Assignments CSV", ".csv"), ("Unfilled CSV", ".csv")):
        with page.expect_download() as download:
            page.get_by_role("link", name=link).click()
        assert download.value.suggested_filename.endswith(ending) and download.value.failure() is None
    page.get_by_role("button", name="Re-solve").click()
    expect(page.get_by_role("heading", name="Proposed assignments")).to_be_visible(timeout=PLAN_TIMEOUT)
    assert page.url != old_url
    summary = page.get_by_role("region", name="Summary")
    expect(summary).to_contain_text(f"planning date {TODAY}")
    expect(summary).to_contain_text(f"re-solved from plan {old_id}")
    page.get_by_role("link", name="Start another plan").click()
    expect(page.get_by_label("Planning date")).to_have_value(TODAY)

    page.goto(old_url)
    expect(page.locator("#read-only")).to_be_visible()
    expect(page.get_by_role("button", name="Re-solve")).to_have_count(0)
    expect(page.locator("table.assignments button", has_text=re.compile("^(Approve|Reject|Pin)$"))).to_have_count(0)


def test_the_review_and_alternatives_speak_in_names_not_codes(page, token):
    sign_in(page, token("planner"))
    _start_plan(page)
    page.locator("details.legend summary").click()
    legend = page.locator("#score-legend")
    for term in ("Priority", "Fit", "Right source", "Kept", "Total"):
        expect(legend.locator("dt", has_text=term)).to_have_count(1)
    page.evaluate("() => document.querySelectorAll('details').forEach(d => { d.open = true; })")  # every step
    text = page.locator("main").inner_text()
    assert not CODES.findall(text), CODES.findall(text)[:5]
    assert not re.search(r"\b1 (are|seats|proposals|candidates)\b", text)
    assert "priority 2268" not in text and "spc" not in text

    page.locator(".unfilled").first.get_by_role("link", name=re.compile("Alternatives for")).first.click()
    expect(page.get_by_role("heading", name="Why it is empty")).to_be_visible()
    text = page.locator("main").inner_text()
    assert not CODES.findall(text), CODES.findall(text)[:5]


def test_alternatives_for_every_empty_seat_and_the_holder_apart(page, token):
    sign_in(page, token("planner"))
    plan_url = _start_plan(page)
    card = page.locator(".unfilled").filter(has_text=re.compile(r"\b[2-9] seats empty")).first
    empty = int(re.search(r"\b(\d+) seats empty", card.inner_text()).group(1))
    links = card.get_by_role("link", name=re.compile("Alternatives for"))
    expect(links).to_have_count(empty)
    links.nth(empty - 1).click()
    picker = page.locator("#empty-seats")
    expect(picker).to_contain_text(f"{empty} seats of")
    expect(picker.get_by_role("link")).to_have_count(empty - 1)  # the seat shown is not a link
    last = picker.locator("[aria-current=page]").inner_text()
    expect(page.locator("h1")).to_contain_text(f"· {last}")

    page.goto(plan_url)
    twins = page.evaluate(
        """() => {
          const rows = [...document.querySelectorAll('table.assignments tr[data-assignment]')];
          const byPosition = {};
          for (const r of rows) (byPosition[r.dataset.position] ??= []).push(r);
          for (const seats of Object.values(byPosition)) {
            const experts = seats.filter(r => r.dataset.supplier.startsWith('E'));
            if (experts.length >= 2) return experts.map(r => ({
              position: r.dataset.position, seat: r.dataset.seat, supplier: r.dataset.supplier,
              total: r.querySelector('td.num').textContent.trim()}));
          }
          return null;
        }"""
    )
    assert twins, "the demo has a position whose seats went to two experts"
    holder, other = twins[0], twins[1]
    page.goto(f"{plan_url}/positions/{holder['position']}/alternatives?seat={holder['seat']}")
    expect(page.locator("#current-holder")).to_contain_text("Current holder")
    expect(page.locator("#current-total")).to_have_text(holder["total"])
    expect(page.locator(f'#alternatives tr[data-supplier="{holder["supplier"]}"]')).to_have_count(0)
    # the other seat's expert would leave a seat of the same position empty: nothing gained, not offered (the
    # alternatives' totals are the plan's own: tests/service/test_plan_review_page.py)
    expect(page.locator(f'#alternatives tr[data-supplier="{other["supplier"]}"]')).to_have_count(0)
