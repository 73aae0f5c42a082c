"""A Member State answers the selections awaiting its consent in Chromium: decline (a reason is asked for inline)
and confirm; the planner's plan page then says which seat was declined, with a re-solve button, and which
selection still awaits consent."""

import httpx
from playwright.sync_api import expect
from sqlmodel import Session

from service.platform.tables import Plan
from tests.service import factories
from tests.web.conftest import sign_in

FAR = {"start_date": "2090-03-01", "end_date": "2090-08-31"}  # no demo plan can use these people or seats


def _api(base_url: str, secret: str, method: str, path: str, body: dict | None = None) -> dict:
    answer = httpx.request(method, f"{base_url}{path}", json=body, headers={"Authorization": f"Bearer {secret}"})
    assert answer.status_code in (200, 201), answer.text
    return answer.json()


def _selections(web_app, base_url: str, token) -> tuple[int, dict, list[int]]:
    """Three Norwegian experts approved into three seats of a request in 2090: each awaits Norway's consent."""
    norway, hq = token("member_state", "NOR"), token("hq")
    names = ("Ingrid Consent", "Lars Consent", "Sigrid Consent")
    experts = [
        _api(
            base_url,
            norway,
            "POST",
            "/experts",
            factories.expert_in(2090, full_name=name),
        )
        for name in names
    ]
    positions = [factories.position(title=f"Justice adviser {i}", **FAR) for i in (1, 2, 3)]
    request = _api(
        base_url, hq, "POST", "/requests", factories.capacity_request(deploy_by="2090-03-01", positions=positions)
    )
    plan_id, rows = factories.stored_plan(
        web_app.state.engine, list(zip(request["positions"], [e["id"] for e in experts]))
    )
    with Session(web_app.state.engine) as session:  # as the solver would sum it up, for the plan page
        plan = session.get(Plan, plan_id)
        plan.summary = {"solver_status": "optimal", "seats": 3, "filled": 3, "unfilled": 0, "wall_time": 0.1}
        session.add(plan)
        session.commit()
    review = _api(base_url, token("planner"), "POST", f"/plans/{plan_id}/review", {"approve": [r.id for r in rows]})
    return plan_id, request, review["deployments"]


def test_a_member_state_declines_and_confirms_its_selections(page, web_app, base_url, token, shots):
    plan_id, request, deployments = _selections(web_app, base_url, token)
    declined, confirmed, waiting = deployments
    try:
        sign_in(page, token("member_state", "NOR"))
        page.goto("/ui/offers")
        expect(page.get_by_role("heading", name="Selections awaiting your consent")).to_be_visible()
        for d in deployments:
            expect(page.locator(f"#consent-{d}")).to_contain_text("2090-03-01")
        row = page.locator(f"#consent-{declined}")
        expect(row).to_contain_text("Ingrid Consent")
        expect(row).to_contain_text("Justice adviser 1 (seat 1)")

        row.get_by_role("button", name="Decline").click()  # no reason: asked for beside the row
        expect(page.locator(f"#consent-error-{declined}")).to_contain_text("Write the reason for declining")
        row = page.locator(f"#consent-{declined}")
        row.get_by_label("Reason to decline").fill("Needed for the national elections <b>in March</b>")
        shots(page, "consent-member-state", full_page=True)
        row.get_by_role("button", name="Decline").click()
        expect(page.locator(".notice")).to_contain_text(f"Ingrid Consent for deployment {declined} declined")
        expect(page.locator(f"#consent-{declined}")).to_have_count(0)

        page.locator(f"#consent-{confirmed}").get_by_role("button", name="Confirm").click()
        expect(page.locator(".notice")).to_contain_text(f"deployment {confirmed} confirmed: it is planned")
        expect(page.locator(f"#consent-{confirmed}")).to_have_count(0)
        expect(page.locator(f"#consent-{waiting}")).to_be_visible()

        page.goto("/ui/deployments?status=awaiting_consent")
        page.get_by_role("link", name="answer").first.click()  # the state finds where to answer
        expect(page.get_by_role("heading", name="Selections awaiting your consent")).to_be_visible()
        page.goto("/ui/deployments?status=declined")
        expect(page.locator("table").last).to_contain_text("declined")

        sign_in(page, token("planner"))
        page.goto(f"/ui/plans/{plan_id}")
        notice = page.locator(f"#declined-{declined}")
        expect(notice).to_contain_text("Norway declined seat 1 of Justice adviser 1: re-solve.")
        expect(notice).to_contain_text(f"Request “{request['title']}”, MINUSCA.")
        expect(notice).to_contain_text("<b>in March</b>")  # the state's words as text, never markup
        expect(notice.get_by_role("button", name="Re-solve")).to_be_visible()
        waiting_row = page.locator("tr[data-assignment]", has_text="Sigrid Consent")
        expect(waiting_row.locator(".consent-due")).to_contain_text("awaiting consent until")
        declined_row = page.locator("tr[data-assignment]", has_text="Ingrid Consent")
        expect(declined_row.locator(".consent-declined")).to_be_visible()
        shots(page, "consent-plan-declined", full_page=True)
    finally:  # the other browser tests plan over the demo data: this request leaves their plans
        _api(base_url, token("hq"), "PATCH", f"/requests/{request['id']}", {"status": "closed"})
