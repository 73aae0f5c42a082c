"""A Member State asks for capacity for its own government in Chromium, and HQ accepts it; another state never sees
the proposal."""

import httpx
from playwright.sync_api import expect

from tests.web.conftest import sign_in

TITLE = "Defence white paper drafting (state request test)"


def test_a_state_asks_for_capacity_and_hq_accepts_it(page, base_url, token, shots):
    sign_in(page, token("member_state", "NOR"))
    page.goto("/ui/requests")
    page.get_by_role("link", name="Ask for capacity").click()
    expect(page.get_by_role("heading", name="Ask for capacity")).to_be_visible()
    expect(page.locator("#asking-state")).to_contain_text("Norway")
    expect(page.get_by_label("Mission (optional)")).to_have_value("")
    page.get_by_role("button", name="Create request").click()  # no title, no level: refused beside the fields
    expect(page.locator("#err-title")).to_be_visible()
    expect(page.locator("#form-errors")).to_contain_text("was not saved")
    page.get_by_label("Title", exact=True).first.fill(TITLE)
    page.get_by_label("Level of engagement").select_option("strategic")
    row = page.locator("fieldset.position").first
    row.get_by_label("Title").fill("Defence policy adviser")
    row.get_by_label("Start date").fill("2090-03-01")
    row.get_by_label("End date").fill("2090-12-31")
    row.locator("#f-positions-0-required_skills-0-code").fill("SSR-STRATEGY")
    row.locator("#f-positions-0-required_skills-0-min_proficiency").select_option("3")
    page.get_by_role("button", name="Create request").click()
    expect(page.get_by_text("sent to HQ, which accepts or declines it")).to_be_visible()
    expect(page.get_by_role("heading", name=TITLE)).to_be_visible()
    expect(page.locator(".card").first).to_contain_text("outside a mission (Norway)")
    expect(page.locator("#asked-by")).to_contain_text("Asked by Norway (web member_state NOR)")
    request_id = int(page.url.split("?")[0].rsplit("/", 1)[1])

    sign_in(page, token("member_state", "GHA"))
    answer = page.goto(f"/ui/requests/{request_id}")
    assert answer is not None and answer.status == 404

    hq = token("hq")
    sign_in(page, hq)
    page.goto("/ui/requests")
    first = page.locator("tbody tr").first
    expect(first).to_contain_text(TITLE)  # what awaits HQ comes first
    expect(first).to_contain_text("Norway")
    first.get_by_role("link", name=TITLE).click()
    decision = page.locator("form", has=page.get_by_role("heading", name="Accept or decline"))
    decision.get_by_role("button", name="Decline").click()  # no note: refused beside the field
    expect(page.locator("#err-note")).to_be_visible()
    expect(page.locator("#decision-errors")).to_contain_text("Nothing was decided")
    shots(page, "state-request-decision", full_page=True)
    decision.get_by_label("Note to the requesting state (required to decline)").fill("Planned for the spring round")
    decision.get_by_role("button", name="Accept").click()
    expect(page.get_by_text(f"Request {request_id} accepted: it can now be planned.")).to_be_visible()
    expect(page.locator("#decision")).to_contain_text("Planned for the spring round")
    expect(page.get_by_role("heading", name="Accept or decline")).to_have_count(0)
    shots(page, "state-request-accepted", full_page=True)

    sign_in(page, token("member_state", "NOR"))
    page.goto(f"/ui/requests/{request_id}")
    expect(page.locator("#decision")).to_contain_text("Accepted by")
    expect(page.get_by_role("button", name="Withdraw this request")).to_have_count(0)
    closed = httpx.patch(
        f"{base_url}/requests/{request_id}", json={"status": "closed"}, headers={"Authorization": f"Bearer {hq}"}
    )
    assert closed.status_code == 200, closed.text  # the other flows plan over the demo data as it was
