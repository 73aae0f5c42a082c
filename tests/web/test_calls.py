"""Calls for nominations in Chromium: HQ opens a call from a request and records a stage result; Norway
nominates an expert and withdraws another; Ghana, not invited, sees nothing of it.

An app and a database of their own: the shared demo app's flows count requests and plans.
"""

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import expect

from service.app import create_app
from service.platform.settings import Settings
from tests.service import factories
from tests.service.conftest import serve
from tests.web.conftest import issue, page_at, sign_in


@pytest.fixture(scope="module")
def calls_app(databases, template_url):
    """A request of two positions (one asks for an interview and a language test) and three Norwegian experts."""
    app = create_app(Settings(database_url=databases.clone(template_url), environment="test", worker="external"))
    tokens = {
        "hq": issue(app, "hq", name="calls"),
        "NOR": issue(app, "member_state", "NOR", name="calls"),
        "GHA": issue(app, "member_state", "GHA", name="calls"),
    }
    hq, norway = ({"Authorization": f"Bearer {tokens[k]}"} for k in ("hq", "NOR"))
    with TestClient(app) as client:
        positions = [
            factories.position(title="Police adviser", assessment_stages=["interview", "language_test"]),
            factories.position(title="Justice adviser"),
        ]
        body = factories.capacity_request(title="Rule of law support", positions=positions)
        request = client.post("/requests", json=body, headers=hq).json()
        experts = {
            name: client.post(
                "/experts", json=factories.expert(full_name=name, nationality="NOR"), headers=norway
            ).json()
            for name in ("Ane Berg", "Bjorn Dahl", "Kari Lund")
        }
    with serve(app) as url:
        yield {"url": url, "app": app, "tokens": tokens, "request": request, "experts": experts}
    app.state.engine.dispose()


@pytest.fixture
def calls_page(browser, calls_app):
    with page_at(browser, calls_app["url"], 900) as page:
        yield page


def _open_call(page, request: dict, states: str) -> str:
    """HQ opens a call from the request's page; the call page's path."""
    page.goto(f"/ui/requests/{request['id']}")
    page.get_by_role("link", name="Open a call for nominations").click()
    page.get_by_label("only these states").check()
    page.get_by_label("States invited (ISO3 codes, comma-separated)").fill(states)
    page.get_by_role("button", name="Open call").click()
    expect(page.get_by_role("heading", name="Call", exact=False).first).to_be_visible()
    expect(page.locator(".notice")).to_contain_text("opened until")
    return page.url.split("?")[0]


def test_hq_opens_a_call_with_inline_messages_and_records_a_stage_result(calls_page, calls_app, shots):
    page, request = calls_page, calls_app["request"]
    sign_in(page, calls_app["tokens"]["hq"])
    page.goto(f"/ui/requests/{request['id']}")
    page.get_by_role("link", name="Open a call for nominations").click()
    for box in page.locator("input[name=position_ids]").all():
        box.uncheck()
    page.get_by_label("Deadline").fill("")
    page.get_by_role("button", name="Open call").click()  # no position, no deadline: both said at once
    expect(page.locator("#call-errors")).to_contain_text("was not opened")
    expect(page.locator("#err-position_ids")).to_be_visible()
    expect(page.locator("#err-deadline")).to_be_visible()
    shots(page, "call-form-errors", full_page=True)
    page.get_by_label("Police adviser").check()
    page.get_by_label("Deadline").fill("2100-12-31")
    page.get_by_label("only these states").check()
    page.get_by_label("States invited (ISO3 codes, comma-separated)").fill("nor, France")
    page.get_by_role("button", name="Open call").click()  # a name, not a code: said as written
    expect(page.locator("#err-states")).to_contain_text("France: not a three-letter ISO code")
    page.get_by_label("States invited (ISO3 codes, comma-separated)").fill("NOR, XXX")
    page.get_by_role("button", name="Open call").click()
    expect(page.locator("#err-states")).to_contain_text("XXX")
    expect(page.get_by_label("Justice adviser")).not_to_be_checked()  # as sent, not as first offered
    page.get_by_label("States invited (ISO3 codes, comma-separated)").fill("NOR")
    page.get_by_role("button", name="Open call").click()
    expect(page.locator(".notice")).to_contain_text("opened until 2100-12-31")
    call_id = int(page.url.split("?")[0].rsplit("/", 1)[1])

    norway = {"Authorization": f"Bearer {calls_app['tokens']['NOR']}"}
    position = request["positions"][0]["id"]
    with TestClient(calls_app["app"]) as client:
        for name in ("Ane Berg", "Bjorn Dahl"):
            nominated = {"position_id": position, "expert_id": calls_app["experts"][name]["id"]}
            assert client.post(f"/calls/{call_id}/nominations", json=nominated, headers=norway).status_code == 201
    page.reload()
    section = page.locator(f"#position-{position}")
    expect(section.locator("table.nominations tbody tr[id^=nomination-]")).to_have_count(2)
    ane = section.get_by_role("form", name="Record a stage result for Ane Berg")
    ane.get_by_label("Stage").select_option("interview")
    ane.get_by_label("Result").select_option("passed")
    ane.get_by_role("button", name="Record result").click()  # no assessor: refused beside the field
    ane = page.get_by_role("form", name="Record a stage result for Ane Berg")
    expect(ane.locator(".errors")).to_contain_text("was not recorded")
    expect(ane.locator("#err-assessor")).to_contain_text("required: fill it in")  # not the validator's words
    ane.get_by_label("Assessor").fill("Panel 3 <b>Oslo</b>")
    ane.get_by_role("button", name="Record result").click()
    expect(page.locator(".notice")).to_contain_text("interview of Ane Berg recorded (passed)")
    row = page.locator("tr", has=page.get_by_role("cell", name="Ane Berg", exact=True))
    expect(row).to_contain_text("interview: passed")
    expect(row).to_contain_text("language test: not yet sat")
    expect(page.locator(f"#position-{request['positions'][1]['id']}")).to_have_count(0)  # not in this call

    page.get_by_role("button", name="Not selected: Bjorn Dahl").click()
    expect(page.locator(".notice")).to_contain_text("Bjorn Dahl: not selected")
    shots(page, "call-hq", full_page=True)
    page.get_by_role("button", name="Close call").click()
    expect(page.locator(".notice")).to_contain_text(f"Call {call_id} closed")
    expect(page.locator(".facts")).to_contain_text("closed")


def test_norway_nominates_an_expert_and_withdraws_another_and_ghana_sees_nothing(calls_page, calls_app, shots):
    page, request = calls_page, calls_app["request"]
    sign_in(page, calls_app["tokens"]["hq"])
    call_path = _open_call(page, request, "NOR")

    sign_in(page, calls_app["tokens"]["NOR"])
    page.goto("/ui/calls")
    page.locator("#calls").get_by_role("link", name=request["title"]).first.click()
    expect(page.locator(f"#position-{request['positions'][0]['id']}")).to_contain_text("interview")
    expect(page.locator(".facts")).to_contain_text("your state among others listed")
    form = page.locator("form", has=page.get_by_role("heading", name="Nominate"))
    form.get_by_label("Note").fill("x" * 1001)
    form.get_by_role("button", name="Nominate").click()  # nothing chosen, the note too long: all said at once
    expect(page.locator("#nominate-errors")).to_contain_text("Nothing was nominated")
    for field in ("position_id", "supplier", "note"):
        expect(page.locator(f"#err-{field}")).to_be_visible()
    shots(page, "call-nominate-errors", full_page=True)

    justice = request["positions"][1]["id"]
    for name in ("Kari Lund", "Ane Berg"):
        form = page.locator("form", has=page.get_by_role("heading", name="Nominate"))
        form.get_by_label("Position").select_option(str(justice))
        form.get_by_label("Expert or offer").select_option(f"E{calls_app['experts'][name]['id']}")
        form.get_by_label("Note").fill("five years in a police reform team")
        form.get_by_role("button", name="Nominate").click()
        expect(page.locator(".notice")).to_contain_text(f"{name} nominated for position {justice}")
    form = page.locator("form", has=page.get_by_role("heading", name="Nominate"))
    form.get_by_label("Position").select_option(str(justice))
    form.get_by_label("Expert or offer").select_option(f"E{calls_app['experts']['Kari Lund']['id']}")
    form.get_by_role("button", name="Nominate").click()  # twice: the service's refusal, inline
    expect(page.locator("#nominate-errors")).to_contain_text("already nominated")

    page.get_by_role("button", name="Withdraw Ane Berg").click()
    expect(page.locator(".notice")).to_contain_text("Nomination of Ane Berg withdrawn")
    ane = page.locator("tr", has=page.get_by_role("cell", name="Ane Berg", exact=True))
    expect(ane).to_contain_text("withdrawn")
    expect(page.get_by_role("button", name="Withdraw Ane Berg")).to_have_count(0)
    expect(page.get_by_role("button", name="Withdraw Kari Lund")).to_have_count(1)
    shots(page, "call-member-state", full_page=True)

    sign_in(page, calls_app["tokens"]["GHA"])
    answer = page.goto(call_path)
    assert answer is not None and answer.status == 404
    page.goto("/ui/calls")
    expect(page.locator("#calls")).not_to_contain_text(request["title"])
