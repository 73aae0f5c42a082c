"""The planners' pages in Chromium: each flow clicks through the real server and saves a screenshot."""

import re
from datetime import date, timedelta

from playwright.sync_api import expect

from tests.web.conftest import TODAY, sign_in

PLAN_TIMEOUT = 90_000


def _start_plan(page, shots=None) -> str:
    page.get_by_label("Planning date").fill(TODAY)
    page.get_by_label("Time limit (seconds)").fill("5")
    page.get_by_role("button", name="Start plan").click()
    expect(page).to_have_url(re.compile(r"/ui/plans/\d+$"))
    if shots is not None:  # the solver process takes a second or more to start: the live view shows first
        expect(page.locator("#progress-text")).to_contain_text("Status:")
        page.wait_for_function(
            "() => !document.getElementById('progress')"
            " || document.getElementById('progress-text').textContent.includes('running')"
        )
        if page.locator("#progress").count():
            shots(page, "plan-progress")
    expect(page.get_by_role("heading", name="Proposed assignments")).to_be_visible(timeout=PLAN_TIMEOUT)
    return page.url


def test_planner_starts_reviews_and_explores(page, token, shots):
    sign_in(page, token("planner"))
    expect(page).to_have_url(re.compile(r"/ui/plans$"))
    plan_url = _start_plan(page, shots)
    expect(page.locator("h1 .badge")).to_have_text("succeeded")
    shots(page, "plan-review")

    first_group = page.locator("table.assignments").first
    boxes = first_group.locator("input[name=selected]")
    boxes.nth(0).check()
    boxes.nth(1).check()
    expect(page.locator("#selected-count")).to_have_text("2 selected")
    page.get_by_role("button", name="Approve selected").click()
    expect(page.locator(".notice")).to_have_text("2 assignments approved (2 deployments, 2 awaiting consent).")
    approved = page.locator("table.assignments .badge.approved")
    expect(approved).to_have_count(2)

    page.locator("table.assignments button", has_text="Reject").first.click()
    expect(page.locator(".notice")).to_have_text("1 assignment rejected.")
    expect(page.locator("table.assignments .badge.rejected")).to_have_count(1)

    page.locator("table.assignments button", has_text="Pin").first.click()
    expect(page.locator(".notice")).to_have_text("1 assignment pinned.")
    expect(page.locator("table.assignments .badge.pinned")).to_have_count(1)

    unfilled = page.locator(".unfilled").first
    expect(unfilled).to_contain_text("Why:")
    unfilled.get_by_role("link", name=re.compile("Alternatives for .* seat")).first.click()
    expect(page.get_by_role("heading", name="Why it is empty")).to_be_visible()
    expect(page.locator("#why")).to_contain_text(re.compile(r"\d+ "))
    steps = page.locator("#why-steps li")
    expect(steps.first).to_contain_text(re.compile(r"Started from \d+ candidates"))
    assert steps.count() >= 2
    expect(page.locator("#alternatives tbody tr").first).to_be_visible()
    shots(page, "alternatives")

    page.goto(plan_url)
    expect(page.locator("table.assignments .badge.approved")).to_have_count(2)


def test_planner_approves_in_bulk_then_reads_the_gantt(page, token, shots):
    sign_in(page, token("planner"))
    _start_plan(page)
    open_boxes = page.locator("input[name=selected]")
    for i in range(min(12, open_boxes.count())):
        open_boxes.nth(i * 2 if i * 2 < open_boxes.count() else i).check()
    page.get_by_role("button", name="Approve selected").click()
    expect(page.locator(".notice")).to_contain_text("approved")

    page.get_by_role("link", name="Deployments").click()
    rows = page.locator("#deployments-table tbody tr")
    expect(rows.first.locator("td")).to_have_count(8)  # with the planner's status buttons
    first_end = min(date.fromisoformat(d) for d in rows.locator("td:nth-child(6)").all_inner_texts())
    page.get_by_label("Reminders as of").fill((first_end - timedelta(days=20)).isoformat())
    page.get_by_role("button", name="Show", exact=True).click()
    expect(page.locator("#reminders li").first).to_contain_text(first_end.isoformat())
    assert rows.count() >= 2
    expect(page.locator("#gantt-person .main-svg").first).to_be_visible()
    bars = page.locator("#gantt-person g.point")
    assert bars.count() == rows.count()
    expect(page.locator("#gantt-mission g.point").first).to_be_visible()
    expect(page.locator("#gantt-person .legendtext", has_text="planned")).to_be_visible()
    expect(page.get_by_role("heading", name=re.compile("Ending within 30 days"))).to_be_visible()
    shots(page, "deployments-gantt", full_page=False)


def test_gap_heatmap_links_cells_to_positions_and_exports_csv(page, token, shots):
    sign_in(page, token("planner"))
    page.get_by_role("link", name="Gaps").click()
    page.get_by_label("From", exact=True).fill("2027-01-01")
    page.get_by_label("To", exact=True).fill("2027-12-31")
    page.get_by_role("button", name="Show", exact=True).click()
    expect(page.locator("#heatmap .main-svg").first).to_be_visible()
    target = page.evaluate("""() => {
        const gd = document.getElementById('heatmap'), z = gd.data[0].z;
        for (let i = 0; i < z.length; i++) for (let j = 0; j < z[i].length; j++) if (z[i][j] !== null) {
            const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis, box = gd.getBoundingClientRect();
            return {x: box.left + xa._offset + xa.d2p(gd.data[0].x[j]),
                    y: box.top + ya._offset + ya.d2p(gd.data[0].y[i])};
        }
    }""")
    page.mouse.click(target["x"], target["y"])
    box = page.locator("#cell-positions")
    expect(box).to_be_visible()
    link = box.locator("a").first
    expect(link).to_have_attribute("href", re.compile(r"/ui/requests/\d+#position-\d+"))
    shots(page, "gaps-heatmap")
    with page.expect_download() as download:
        page.get_by_role("link", name="Export CSV").click()
    csv = open(download.value.path(), encoding="utf-8").read()
    assert csv.startswith("skill,skill_name,area,level,quarter,demand,supply")
    assert "2027-Q1" in csv
    link.click()
    expect(page.get_by_role("heading", name="Positions")).to_be_visible()


def test_member_state_sees_only_its_own_offers_and_renews_one(page, token, shots):
    page.goto("/ui/signin")
    expect(page.get_by_label("API token")).to_be_focused()
    page.keyboard.type(token("member_state", "NOR"))  # the token field has the focus: keyboard only
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/ui/offers$"))
    offers = page.locator("#offers tbody tr")
    assert offers.count() > 0
    assert set(offers.evaluate_all("rows => rows.map(r => r.dataset.state)")) == {"NOR"}
    experts = page.locator("#experts tbody tr")
    assert experts.count() > 0
    assert set(experts.evaluate_all("rows => rows.map(r => r.dataset.state)")) == {"NOR"}
    expect(page.get_by_role("link", name="Plans")).to_have_count(0)
    shots(page, "offers-member-state")

    expires = offers.first.locator("td").nth(7).inner_text()
    offers.first.get_by_role("button", name=re.compile("Renew")).click()
    expect(page.locator(".notice")).to_contain_text("renewed until")
    assert page.locator("#offers tbody tr").first.locator("td").nth(7).inner_text() != expires

    response = page.goto("/ui/plans")
    assert response.status == 403
    expect(page.locator(".errors")).to_contain_text("role member_state may not do this")


def test_bad_token_is_refused(page, shots):
    with page.expect_response(lambda r: r.url.endswith("/ui/signin") and r.request.method == "POST") as answer:
        sign_in(page, "rst_this-is-not-a-token")
    assert answer.value.status == 401
    expect(page.get_by_role("alert")).to_contain_text("unknown or revoked")
    expect(page.get_by_label("API token")).to_have_attribute("aria-invalid", "true")
    shots(page, "signin-refused")
    page.goto("/ui/requests")
    expect(page).to_have_url(re.compile(r"/ui/signin\?next=%2Fui%2Frequests$"))


def test_hq_creates_a_request_and_sees_the_api_messages(page, token, shots):
    sign_in(page, token("hq"))
    page.get_by_role("link", name="New request").click()
    request_box = page.get_by_role("group", name="Request")
    request_box.get_by_label("Mission").select_option("MINUSCA")
    request_box.get_by_label("Title").fill("Border police advisers")
    request_box.get_by_label("Level of engagement").select_option("operational")
    position = page.locator("fieldset.position").first
    position.get_by_label("Title").fill("Border management adviser")
    position.get_by_label("Start date").fill("2027-06-01")
    position.get_by_label("End date").fill("2027-03-01")
    skill = position.locator("#f-positions-0-required_skills-0-code")
    skill.fill("NOT-A-SKILL")
    page.get_by_role("button", name="Create request").click()
    expect(page.locator("#form-errors")).to_be_visible()
    expect(page.locator("#err-positions-0-end_date")).to_contain_text("end date 2027-03-01 is before start date")
    expect(page.locator("fieldset.position").first.get_by_label("End date")).to_have_attribute("aria-invalid", "true")
    expect(skill).to_have_attribute("aria-invalid", "true")  # in the same answer, not the next
    expect(page.locator("#err-positions-0-required_skills-0-code")).to_contain_text("NOT-A-SKILL")

    position = page.locator("fieldset.position").first
    position.get_by_label("End date").fill("2027-12-31")
    skill.fill("SSR-STRATEGY")
    position.locator("#f-positions-0-required_skills-0-min_proficiency").select_option("3")
    page.get_by_role("button", name="Add another position").click()
    second = page.locator("fieldset.position").nth(1)
    second.get_by_label("Title").fill("Customs trainer")
    second.get_by_label("Start date").fill("2027-04-01")
    second.get_by_label("End date").fill("2027-09-30")
    second.get_by_label("Seats").fill("2")
    page.get_by_role("button", name="Create request").click()
    expect(page.locator(".notice")).to_contain_text(re.compile(r"Request \d+ created"))
    expect(page.locator("tbody tr")).to_have_count(2)
    expect(page.locator("tbody")).to_contain_text("0 / 2")

    page.get_by_role("link", name="Edit request and positions").click()
    page.get_by_label("Priority (1 highest)").select_option("1")
    page.get_by_role("button", name="Save changes").click()
    expect(page.locator(".notice")).to_have_text("Request saved.")
    expect(page.locator(".card")).to_contain_text("priority 1")

    page.get_by_role("link", name="Edit request and positions").click()
    page.locator("fieldset.position").nth(1).get_by_label("End date").fill("2027-01-31")
    page.get_by_role("button", name="Save changes").click()
    expect(page.locator("#err-positions-1-end_date")).to_contain_text("is before start date 2027-04-01")
    page.get_by_role("link", name="← Back").click()
    expect(page.locator("tbody")).to_contain_text("2027-04-01 → 2027-09-30")

    page.goto("/ui/requests")
    page.get_by_label("Mission").select_option("MINUSCA")
    page.get_by_label("Priority").select_option("1")
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("tbody")).to_contain_text("Border police advisers")
    assert all(m == "MINUSCA" for m in page.locator("tbody tr td:nth-child(2)").all_inner_texts())
    shots(page, "requests")


def test_pages_fit_a_narrow_screen(browser, base_url, token, shots):
    context = browser.new_context(viewport={"width": 390, "height": 844}, base_url=base_url)
    page = context.new_page()
    sign_in(page, token("hq"))
    for path in (
        "/ui/requests",
        "/ui/requests/1",
        "/ui/requests/new",
        "/ui/plans",
        "/ui/deployments",
        "/ui/gaps",
        "/ui/offers",
    ):
        page.goto(path)
        expect(page.locator("main h1")).to_be_visible()
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{path} scrolls sideways by {overflow}px"
        if path == "/ui/deployments":
            shots(page, "deployments-narrow")
    context.close()


def test_planner_swaps_in_an_alternative(page, token, shots):
    sign_in(page, token("planner"))
    _start_plan(page)
    row = page.locator("table.assignments tbody tr").filter(has=page.locator(".badge.proposed")).first
    seat = f'tr[data-position="{row.get_attribute("data-position")}"][data-seat="{row.get_attribute("data-seat")}"]'
    replaced = row.locator("td").nth(2).inner_text().split(" (offer")[0].split(" (expert")[0]
    supplier = row.get_attribute("data-supplier")
    row.get_by_role("link", name="Alternatives").click()
    expect(page.get_by_role("heading", name="In the plan now")).to_be_visible()
    expect(page.locator("section.card")).to_contain_text(replaced)
    expect(page.locator("#alternatives").get_by_role("button", name=re.compile("Swap in")).first).to_be_visible()
    forms = page.locator("#alternatives form")
    offered = [forms.nth(i).locator('input[name="supplier"]').get_attribute("value") for i in range(forms.count())]
    chosen = next(s for s in offered if s != supplier)
    name = forms.nth(offered.index(chosen)).get_by_role("button").get_attribute("aria-label").removeprefix("Swap in ")
    forms.nth(offered.index(chosen)).get_by_role("button", name=re.compile("Swap in")).click()
    expect(page.locator(".notice")).to_contain_text(
        re.compile(rf"{re.escape(name)} pinned to .+ \(seat \d+\); re-solving as plan \d+")
    )
    expect(page.get_by_role("heading", name="Proposed assignments")).to_be_visible(timeout=PLAN_TIMEOUT)
    expect(page.locator("section.card").first).to_contain_text("re-solved from")
    same_seat = page.locator(f"table.assignments {seat}")
    assert same_seat.evaluate_all("rows => rows.map(r => r.dataset.supplier)") == [chosen]
