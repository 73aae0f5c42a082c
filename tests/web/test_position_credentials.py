"""HQ sets the credentials a position requires in Chromium: a new position's boxes follow its category's defaults
until HQ ticks one; the request page lists them in words."""

from playwright.sync_api import expect

from tests.web.conftest import sign_in


def _ticked(row) -> set[str]:
    boxes = row.locator('input[name$=".required_credentials"]')
    return {boxes.nth(i).get_attribute("value") or "" for i in range(boxes.count()) if boxes.nth(i).is_checked()}


def test_a_new_positions_credentials_follow_its_category_until_hq_chooses(page, token, shots):
    sign_in(page, token("hq"))
    page.goto("/ui/requests/new")
    row = page.locator("fieldset.position").first
    assert _ticked(row) == {"HR-SCREENING", "CPTM", "MEDICAL"}
    row.get_by_label("Category").select_option("police")
    assert _ticked(row) == {"HR-SCREENING", "CPTM", "MEDICAL", "DRIVING-TEST", "FIREARMS-TEST"}
    row.get_by_label("Category").select_option("civilian")
    assert _ticked(row) == {"HR-SCREENING", "CPTM", "MEDICAL", "SSAFE"}
    row.get_by_label("UN language proficiency test").check()  # HQ's choice: the category no longer decides
    row.get_by_label("Category").select_option("police")
    assert _ticked(row) == {"HR-SCREENING", "CPTM", "MEDICAL", "SSAFE", "LANGUAGE-TEST"}

    page.get_by_role("button", name="Add another position").click()
    added = page.locator("fieldset.position").nth(1)
    assert _ticked(added) == {"HR-SCREENING", "CPTM", "MEDICAL"}

    page.get_by_label("Mission").select_option("MINUSCA")
    page.get_by_label("Title", exact=True).first.fill("Police reform support (credentials test)")
    page.get_by_label("Level of engagement").select_option("operational")
    row.get_by_label("Title").fill("Police adviser")
    row.get_by_label("Start date").fill("2090-03-01")
    row.get_by_label("End date").fill("2090-12-31")
    shots(page, "position-credentials", full_page=True)
    page.get_by_role("button", name="Create request").click()
    expect(page.get_by_text("created")).to_be_visible()
    expect(page.locator("span.credentials").first).to_contain_text(
        "must hold through 2090-12-31: core pre-deployment training, human-rights screening, "
    )
    expect(page.locator("span.credentials").first).to_contain_text("UN language proficiency test")
