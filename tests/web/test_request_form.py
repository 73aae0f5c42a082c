"""The request form for people, in Chromium: skills and languages picked (by name or code), never typed as codes;
every error at once, in plain words; a required field cleared on edit is an error."""

import httpx
from playwright.sync_api import expect

from tests.web.conftest import sign_in

STRATEGY = "Security sector reform strategy (SSR-STRATEGY)"


def _skills(position):
    return position.locator("fieldset.rows[data-name$='.required_skills']")


def _fill_request(page, title: str) -> None:
    box = page.get_by_role("group", name="Request")
    box.get_by_label("Mission").select_option("MINUSCA")
    box.get_by_label("Title").fill(title)
    box.get_by_label("Level of engagement").select_option("operational")
    position = page.locator("fieldset.position").first
    position.get_by_label("Title").fill("Security sector adviser")
    position.get_by_label("Start date").fill("2090-03-01")
    position.get_by_label("End date").fill("2090-12-31")


def _create(page) -> int:
    """Send the form and read the new request's id off the page it lands on."""
    page.get_by_role("button", name="Create request").click()
    expect(page.locator(".notice")).to_contain_text("created")
    return int(page.url.split("?")[0].rsplit("/", 1)[1])


def _api(base_url: str, secret: str, path: str) -> dict:
    answer = httpx.get(f"{base_url}{path}", headers={"Authorization": f"Bearer {secret}"})
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_skills_are_picked_by_name_or_code_and_languages_from_a_list(page, base_url, token, shots):
    hq = token("hq")
    sign_in(page, hq)
    page.goto("/ui/requests/new")
    options = page.locator("datalist#skill-options option")
    labels = options.evaluate_all("list => list.map(o => o.value)")
    # the browser's search matches any part of an option: each names the skill and its code
    assert STRATEGY in labels
    assert any("reform strategy" in label.lower() for label in labels)
    assert any("SSR-STRAT" in label for label in labels)
    expect(page.get_by_text("GET /reference")).to_have_count(0)  # no API address to look codes up in

    _fill_request(page, "Picked skills (form test)")
    position = page.locator("fieldset.position").first
    skills = _skills(position)
    expect(skills.get_by_label("Skill")).to_have_count(2)  # blank rows, without script too
    expect(skills.get_by_label("Skill").first).to_have_attribute("list", "skill-options")
    skills.get_by_label("Skill").nth(0).fill("security sector reform strategy")  # by its name, any case
    skills.get_by_label("Lowest proficiency").nth(0).select_option("3")
    skills.get_by_label("Skill").nth(1).fill("DDR-DESIGN")  # by its code
    skills.get_by_role("button", name="Add a row").click()
    expect(skills.get_by_label("Skill")).to_have_count(3)
    skills.get_by_label("Skill").nth(2).fill("Force structure design (FORCE-DESIGN)")  # as the list offers it
    skills.get_by_label("Lowest proficiency").nth(2).select_option("4")
    languages = position.locator("fieldset.rows[data-name$='.languages']")
    languages.get_by_label("Language").first.select_option(label="French")
    languages.get_by_label("Lowest level").first.select_option("4")
    request_id = _create(page)
    row = page.locator("tbody tr").first  # the request's page names them too
    expect(row).to_contain_text("Security sector reform strategy ≥ 3")
    expect(row).to_contain_text("French ≥ 4")

    stored = _api(base_url, hq, f"/requests/{request_id}")["positions"][0]
    assert stored["required_skills"] == [
        {"code": "SSR-STRATEGY", "min_proficiency": 3},
        {"code": "DDR-DESIGN", "min_proficiency": 1},
        {"code": "FORCE-DESIGN", "min_proficiency": 4},
    ]
    assert stored["languages"] == [{"code": "fr", "min_level": 4}]

    page.goto(f"/ui/requests/{request_id}/edit")
    skills = _skills(page.locator("fieldset.position").first)
    expect(skills.get_by_label("Skill").first).to_have_value(STRATEGY)  # shown by name, the code beside it
    shots(page, "request-form-pickers", full_page=True)


def test_every_error_shows_at_once_in_plain_words(page, token, shots):
    sign_in(page, token("hq"))
    page.goto("/ui/requests/new")
    position = page.locator("fieldset.position").first
    position.get_by_label("Title").fill("Adviser")
    position.get_by_label("Start date").fill("2090-06-01")
    position.get_by_label("End date").fill("2090-03-01")
    position.get_by_label("Seats").fill("0")
    position.get_by_label("Trainees", exact=True).fill("0")
    _skills(position).get_by_label("Skill").first.fill("strategy")
    _skills(position).get_by_label("Skill").nth(1).fill("NOT-A-SKILL")
    page.get_by_role("button", name="Create request").click()  # one submit: every message

    expect(page.locator("#form-errors")).to_contain_text("was not saved")
    expect(page.locator("#err-mission")).to_have_text("required: choose one")
    expect(page.locator("#err-title")).to_have_text("required: fill it in")
    expect(page.locator("#err-level")).to_have_text("required: choose one")
    expect(page.locator("#err-positions-0-end_date")).to_contain_text(
        "end date 2090-03-01 is before start date 2090-06-01"
    )
    expect(page.locator("#err-positions-0-count")).to_contain_text("too small: give 1 or more")
    expect(page.locator("#err-positions-0-trainees")).to_contain_text("too small: give 1 or more")
    expect(page.locator("#err-positions-0-required_skills-0-code")).to_contain_text(
        "“strategy” is not a known skill: did you mean"
    )
    expect(page.locator("#err-positions-0-required_skills-0-code")).to_contain_text(STRATEGY)
    expect(page.locator("#err-positions-0-required_skills-1-code")).to_contain_text(
        "“NOT-A-SKILL” is not a known skill"
    )
    expect(_skills(page.locator("fieldset.position").first).get_by_label("Skill").first).to_have_value("strategy")
    text = page.locator("main").inner_text()
    for jargon in ("String should", "pattern", "^[A-Z]", "end_date", "Value error"):
        assert jargon not in text
    shots(page, "request-form-errors", full_page=True)


def test_a_cleared_title_on_edit_is_an_error_and_the_title_stays(page, base_url, token):
    hq = token("hq")
    sign_in(page, hq)
    page.goto("/ui/requests/new")
    _fill_request(page, "Kept title (form test)")
    request_id = _create(page)

    page.goto(f"/ui/requests/{request_id}/edit")
    page.get_by_role("group", name="Request").get_by_label("Title").fill("")
    page.locator("fieldset.position").first.get_by_label("Title").fill("")
    page.get_by_role("button", name="Save changes").click()
    expect(page.locator("#err-title")).to_have_text("required: fill it in")
    expect(page.locator("#err-positions-0-title")).to_have_text("required: fill it in")
    expect(page.get_by_text("Request saved.")).to_have_count(0)
    stored = _api(base_url, hq, f"/requests/{request_id}")
    assert stored["title"] == "Kept title (form test)"
    assert stored["positions"][0]["title"] == "Security sector adviser"


def test_a_position_added_by_script_has_its_own_pickers(page, base_url, token):
    hq = token("hq")
    sign_in(page, hq)
    page.goto("/ui/requests/new")
    _fill_request(page, "Two positions (form test)")
    page.get_by_role("button", name="Add another position").click()
    second = page.locator("fieldset.position").nth(1)
    second.get_by_label("Title").fill("Police trainer")
    second.get_by_label("Start date").fill("2090-04-01")
    second.get_by_label("End date").fill("2090-09-30")
    skills = _skills(second)
    expect(skills).to_have_attribute("data-name", "positions.1.required_skills")
    skills.get_by_role("button", name="Add a row").click()
    expect(skills.get_by_label("Skill")).to_have_count(3)
    expect(skills.get_by_label("Skill").nth(2)).to_have_attribute("name", "positions.1.required_skills.2.code")
    skills.get_by_label("Skill").nth(2).fill("ssr-strategy")
    request_id = _create(page)
    positions = _api(base_url, hq, f"/requests/{request_id}")["positions"]
    assert [p["required_skills"] for p in positions] == [[], [{"code": "SSR-STRATEGY", "min_proficiency": 1}]]
