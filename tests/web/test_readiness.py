"""HQ records an assessment visit and sets an offer's readiness in Chromium; the Member State reads its visits."""

import httpx
from playwright.sync_api import expect

from tests.service import factories
from tests.web.conftest import sign_in


def _far_offer(base_url: str, secret: str) -> dict:
    """An offer of Norway's that no demo position can take (available in 2090): the other flows stay as they are."""
    body = factories.offer(
        title="Formed police unit (readiness test)", available_from="2090-01-01", available_to="2091-12-31"
    )
    made = httpx.post(f"{base_url}/offers", json=body, headers={"Authorization": f"Bearer {secret}"})
    assert made.status_code == 201, made.text
    return made.json()


def test_hq_records_a_visit_then_sets_readiness_with_inline_messages(page, base_url, token, shots):
    offer = _far_offer(base_url, token("member_state", "NOR"))
    sign_in(page, token("hq"))
    page.goto("/ui/offers")
    page.get_by_role("link", name=offer["title"]).click()
    expect(page.get_by_role("heading", name=offer["title"])).to_be_visible()
    expect(page.locator("#visits")).to_contain_text("No visit recorded yet")

    visit = page.locator("form", has=page.get_by_role("heading", name="Record an assessment visit"))
    visit.get_by_label("Result").select_option("passed")
    visit.get_by_role("button", name="Record visit").click()  # no team: refused beside the field
    expect(page.locator("#err-team")).to_be_visible()
    expect(page.locator("#visit-errors")).to_contain_text("was not recorded")
    visit.get_by_label("Assessment team").fill("UN assessment and advisory visit <b>team 4</b>")
    visit.get_by_label("Visited on").fill("2026-11-20")
    visit.get_by_role("button", name="Record visit").click()
    expect(page.get_by_text("Visit of 2026-11-20 recorded (passed).")).to_be_visible()
    expect(page.locator("#visits")).to_contain_text("<b>team 4</b>")  # text, never markup
    expect(page.locator(".facts")).to_contain_text("assessed")

    readiness = page.locator("form", has=page.get_by_role("heading", name="Set readiness"))
    readiness.get_by_label("Readiness").select_option("rapid_deployment")
    readiness.get_by_role("button", name="Set readiness").click()  # no reason
    expect(page.locator("#err-reason")).to_be_visible()
    readiness.get_by_label("Reason (kept in the audit trail)").fill("airlift confirmed by the Member State")
    readiness.get_by_role("button", name="Set readiness").click()
    expect(page.get_by_text("Readiness is now rapid deployment.")).to_be_visible()
    shots(page, "offer-readiness", full_page=True)

    sign_in(page, token("member_state", "NOR"))
    page.goto(f"/ui/offers/{offer['id']}")
    expect(page.locator("#visits")).to_contain_text("2026-11-20")
    expect(page.get_by_role("button", name="Record visit")).to_have_count(0)
    expect(page.get_by_role("button", name="Set readiness")).to_have_count(0)

    sign_in(page, token("member_state", "GHA"))
    answer = page.goto(f"/ui/offers/{offer['id']}")
    assert answer is not None and answer.status == 404
