"""The gap heatmap in Chromium: a cell's drill-down opens where the user is looking and names the seats the latest
plan left empty, with their reasons and alternatives; the page's CSV and XLSX buttons download the report."""

import csv
import re
import time

import httpx
import pytest
from playwright.sync_api import expect

from tests.web.conftest import TODAY, sign_in

RANGE = "start=2027-01-01&end=2028-12-31"
PLAN_SECONDS = 90
# The top heatmap cell that lists empty seats, where the window shows it: its drill-down, under the tall chart,
# would open below the fold if nothing brought it up.
TOP_CELL_WITH_SEATS = """() => {
  const gd = document.getElementById("heatmap"), data = JSON.parse(document.getElementById("heatmap-data").textContent);
  const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis, box = gd.getBoundingClientRect();
  for (let i = 0; i < data.cells.length; i++) for (let j = 0; j < data.cells[i].length; j++) {
    const c = data.cells[i][j];
    if (c && c.seats.length) return {x: box.left + xa._offset + xa.d2p(data.x[j]),
                                     y: box.top + ya._offset + ya.d2p(data.y[i]), seats: c.seats.length};
  }
  return null;
}"""


@pytest.fixture(scope="module")
def plan_id(base_url, token) -> int:
    """A plan of every open request on the demo's day, finished: the latest the report reads."""
    headers = {"Authorization": f"Bearer {token('planner')}"}
    with httpx.Client(base_url=base_url, headers=headers, timeout=30) as http:
        queued = http.post("/plans", json={"today": TODAY, "time_limit": 5})
        assert queued.status_code == 202, queued.text
        deadline = time.monotonic() + PLAN_SECONDS
        while (status := http.get(f"/plans/{queued.json()['id']}").json()["status"]) in ("queued", "running"):
            assert time.monotonic() < deadline, "the plan did not finish"
            time.sleep(0.2)
        assert status == "succeeded"
        return queued.json()["id"]


def test_a_cell_drill_down_opens_in_view_with_the_empty_seats_and_their_reasons(page, token, plan_id, shots):
    sign_in(page, token("planner"))
    page.goto(f"/ui/gaps?{RANGE}")
    expect(page.locator("#heatmap .main-svg").first).to_be_visible()
    box = page.locator("#cell-positions")
    expect(box).to_be_hidden()
    target = page.evaluate(TOP_CELL_WITH_SEATS)
    assert target, "the latest plan left seats empty in some cell"
    if target["y"] > 600:
        page.mouse.wheel(0, target["y"] - 300)
        page.wait_for_function("() => window.scrollY > 0")
        target = page.evaluate(TOP_CELL_WITH_SEATS)
    below = "() => document.getElementById('heatmap').getBoundingClientRect().bottom > window.innerHeight"
    assert page.evaluate(below)  # the drill-down comes after the chart: below the fold
    page.mouse.click(target["x"], target["y"])

    expect(box).to_be_visible()
    expect(page.locator("#cell-title")).to_be_in_viewport(ratio=1)
    expect(page.locator("#cell-title")).to_be_focused()
    expect(box).to_have_class(re.compile(r"gap-(red|amber)"))  # a cell with empty seats is never green
    seats = box.locator("#cell-seats > li")
    expect(seats).to_have_count(target["seats"])
    first = seats.first
    expect(first.locator(".seat-why").first).to_have_text(re.compile(r"\S"))  # why, in view
    first.get_by_text("Step by step").click()
    expect(first.locator(".seat-reasons li").first).to_have_text(re.compile(r"^Started from \d+ candidates"))
    alternatives = first.get_by_role("link", name=re.compile(r"^Alternatives for seat \d+$"))
    expect(alternatives).to_have_attribute(
        "href", re.compile(rf"^/ui/plans/{plan_id}/positions/\d+/alternatives\?seat=\d+$")
    )
    shots(page, "gaps-drill-down")
    alternatives.click()
    expect(page).to_have_url(re.compile(rf"/ui/plans/{plan_id}/positions/\d+/alternatives"))


def test_the_table_never_paints_a_cell_with_empty_seats_green(page, token, plan_id):
    sign_in(page, token("planner"))
    page.goto(f"/ui/gaps?{RANGE}")
    classes = page.evaluate(
        """() => Array.from(document.querySelectorAll("#gap-table tbody tr"))
            .filter(row => row.cells.length > 9 && row.cells[9].querySelector("a")).map(row => row.className)"""
    )
    assert classes and all(re.fullmatch(r"gap-(red|amber)", c) for c in classes), classes
    link = page.locator("#gap-table tbody tr td:nth-child(10) a").first
    link.click()
    expect(page.locator(link.get_attribute("href"))).to_be_in_viewport()


def test_the_export_buttons_download_csv_and_xlsx_with_the_page_filters(page, token, plan_id):
    sign_in(page, token("planner"))
    page.goto(f"/ui/gaps?{RANGE}&level=strategic")
    with page.expect_download() as download:
        page.get_by_role("link", name="Export CSV").click()
    assert download.value.suggested_filename == "gaps-2027-01-01-2028-12-31.csv"
    rows = list(csv.DictReader(open(download.value.path(), encoding="utf-8")))
    assert rows and {r["level"] for r in rows} == {"strategic"}
    assert {"status", "supply", "unfilled"} <= set(rows[0])
    with page.expect_download() as download:
        page.get_by_role("link", name="Export XLSX").click()
    assert download.value.suggested_filename == "gaps-2027-01-01-2028-12-31.xlsx"
    assert open(download.value.path(), "rb").read(2) == b"PK"
