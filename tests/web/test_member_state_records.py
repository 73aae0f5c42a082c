"""Norway keeps its offers and experts in Chromium: registers an offer, adds an expert, edits both, withdraws and
deactivates them, with every error beside its field; and no state reaches another's records through the pages.

An app and a database of their own: the shared demo app's flows plan over its experts and offers.
"""

import re
from datetime import date, timedelta

import httpx
import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import expect

from service.app import create_app
from service.platform.settings import Settings
from tests.service import factories
from tests.service.conftest import serve
from tests.web.conftest import issue, page_at, sign_in

OFFER = "Police gender advisers (records test)"


def _soon(days: int) -> str:
    return (date.today() + timedelta(days=days)).isoformat()


def _norway_needs_attention(client: TestClient, app, tokens: dict) -> dict:
    """Norway's expert with a medical clearance expired and a training expiring soon, an offer expiring soon, and
    a deployment put at risk (its expert deactivated since)."""
    norway = {"Authorization": f"Bearer {tokens['NOR']}"}
    lapsing = [
        {"code": "MEDICAL", "expires_on": _soon(-3)},
        {"code": "CPTM", "expires_on": _soon(20)},
    ]
    expert = client.post(
        "/experts", json=factories.expert(full_name="Lapsing Expert", credentials=lapsing), headers=norway
    )
    offer = client.post("/offers", json=factories.offer(title="Expiring team", expires_on=_soon(15)), headers=norway)
    risky = client.post("/experts", json=factories.expert(full_name="Risky Expert"), headers=norway)
    hq = {"Authorization": f"Bearer {tokens['hq']}"}
    request = client.post("/requests", json=factories.capacity_request(positions=[factories.position()]), headers=hq)
    assert {r.status_code for r in (expert, offer, risky, request)} == {201}, (expert.text, offer.text)
    factories.deploy(app.state.engine, request.json()["positions"][0]["id"], expert=risky.json()["id"])
    assert client.delete(f"/experts/{risky.json()['id']}", headers=norway).status_code == 204
    return {"lapsing": expert.json()["id"], "expiring": offer.json()["id"]}


@pytest.fixture(scope="module")
def records_app(databases, template_url):
    """Reference data, one offer and one expert each for Norway and Ghana, and what needs Norway's attention."""
    app = create_app(Settings(database_url=databases.clone(template_url), environment="test", worker="external"))
    roles = {"hq": ("hq", None), "planner": ("planner", None), "admin": ("admin", None)}
    roles |= {"NOR": ("member_state", "NOR"), "GHA": ("member_state", "GHA")}
    tokens = {name: issue(app, role, state, "records") for name, (role, state) in roles.items()}
    made: dict[str, dict] = {}
    with TestClient(app) as client:
        for state in ("NOR", "GHA"):
            auth = {"Authorization": f"Bearer {tokens[state]}"}
            offer = client.post("/offers", json=factories.offer(title=f"{state} engineers"), headers=auth)
            expert = client.post("/experts", json=factories.expert(full_name=f"{state} Expert"), headers=auth)
            assert offer.status_code == expert.status_code == 201, (offer.text, expert.text)
            made[state] = {"offer": offer.json()["id"], "expert": expert.json()["id"]}
        made["attention"] = _norway_needs_attention(client, app, tokens)
    with serve(app) as url:
        yield {"url": url, "app": app, "tokens": tokens, "made": made}
    app.state.engine.dispose()


@pytest.fixture
def records_page(browser, records_app):
    with page_at(browser, records_app["url"], 900) as page:
        yield page


def test_norway_registers_edits_and_withdraws_an_offer(records_page, records_app, shots):
    page = records_page
    sign_in(page, records_app["tokens"]["NOR"])
    page.goto("/ui/offers")
    page.get_by_role("link", name="Register an offer").click()
    expect(page.get_by_role("heading", name="Register an offer")).to_be_visible()
    expect(page.locator("#readiness")).to_contain_text("pledged")
    page.get_by_label("Title").fill("")  # text
    page.get_by_label("Slots (positions it fills at once)").fill("0")  # number
    page.get_by_label("Available from").fill("2027-06-01")
    page.get_by_label("Expires on").fill("")  # date
    skills = page.locator("#rows-skills")
    skills.get_by_label("Skill").first.select_option("SSR-STRATEGY")  # list row: a skill without its level
    page.get_by_role("button", name="Register the offer").click()
    expect(page.locator("#form-errors")).to_contain_text("The offer was not saved")
    expect(page.locator("#err-title")).to_have_text("required: fill it in")
    expect(page.locator("#err-slots")).to_have_text("too small: give 1 or more")
    expect(page.locator("#err-expires_on")).to_have_text("required: fill it in")
    expect(page.locator("#err-category")).to_have_text("required: choose one")  # select
    expect(page.locator("#err-skills-0-proficiency")).to_have_text("required: choose one")
    expect(page.get_by_label("Slots (positions it fills at once)")).to_have_attribute("aria-invalid", "true")
    expect(skills.get_by_label("Skill").first).to_have_value("SSR-STRATEGY")  # what was typed is kept
    shots(page, "offer-form-errors", full_page=True)

    page.get_by_label("Title").fill(OFFER)
    page.get_by_label("Slots (positions it fills at once)").fill("2")
    page.get_by_label("Available to").fill("2027-03-01")  # before the start: a rule across two fields
    page.get_by_label("Expires on").fill("2028-06-30")
    page.get_by_label("Category of person").select_option("police")
    page.get_by_label("strategic").check()
    skills.get_by_label("Proficiency").first.select_option("4")
    page.locator("#rows-languages").get_by_label("Language").first.select_option("fr")
    page.locator("#rows-languages").get_by_label("Level").first.select_option("3")
    attested = page.locator("#rows-credentials div.row").first
    attested.get_by_label("Credential").select_option("HR-SCREENING")
    attested.get_by_label("Valid through").fill("2028-12-31")
    page.get_by_label("Missions excluded").select_option(["MINUSCA"])
    page.get_by_label("Named experts (your own)").select_option(f"NOR Expert (#{records_app['made']['NOR']['expert']})")
    page.get_by_role("button", name="Register the offer").click()
    expect(page.locator("#err-available_to")).to_contain_text("available_to 2027-03-01 is before available_from")
    expect(page.locator("#form-errors")).to_contain_text("1 thing to fix")
    page.get_by_label("Available to").fill("2027-12-31")
    page.get_by_role("button", name="Register the offer").click()
    expect(page.locator(".notice")).to_contain_text("registered as offer")
    expect(page.get_by_role("heading", name=OFFER)).to_be_visible()
    facts = page.locator("dl.facts")
    expect(facts).to_contain_text("SSR-STRATEGY 4")
    expect(facts).to_contain_text("not for MINUSCA")
    expect(facts).to_contain_text("NOR Expert")
    expect(facts).to_contain_text("HR-SCREENING valid through 2028-12-31")
    shots(page, "offer-registered", full_page=True)

    page.get_by_role("link", name="Edit the offer").click()
    expect(page.get_by_label("Title")).to_have_value(OFFER)
    page.get_by_label("Notice needed (days)").fill("400")
    page.get_by_role("button", name="Save changes").click()
    expect(page.locator("#err-notice_days")).to_have_text("too large: give 365 or less")
    page.get_by_label("Notice needed (days)").fill("21")
    page.locator("#rows-skills").get_by_role("button", name="Add a row").click()  # progressive: one more row
    skill_rows = page.locator("#rows-skills div.row")
    expect(skill_rows).to_have_count(4)
    skill_rows.nth(3).get_by_label("Skill").select_option("DDR-DESIGN")
    skill_rows.nth(3).get_by_label("Proficiency").select_option("2")
    page.get_by_role("button", name="Save changes").click()
    expect(page.locator(".notice")).to_have_text("Offer saved.")
    expect(facts).to_contain_text("21 days")
    expect(facts).to_contain_text("DDR-DESIGN 2")

    page.get_by_role("link", name="Withdraw the offer").click()
    expect(page.get_by_role("heading", name=f"Withdraw “{OFFER}”?")).to_be_visible()
    page.get_by_role("link", name="Keep it").click()
    expect(page.get_by_role("heading", name=OFFER)).to_be_visible()
    page.get_by_role("link", name="Withdraw the offer").click()
    shots(page, "offer-withdraw-confirm")
    page.get_by_role("button", name="Withdraw the offer").click()
    expect(page.locator(".notice")).to_contain_text("withdrawn")
    expect(facts.locator(".badge.withdrawn")).to_be_visible()
    expect(page.get_by_role("link", name="Withdraw the offer")).to_have_count(0)


def test_norway_adds_edits_and_deactivates_an_expert(records_page, records_app, shots):
    page = records_page
    sign_in(page, records_app["tokens"]["NOR"])
    page.goto("/ui/offers")
    page.get_by_role("link", name="Add an expert").click()
    page.get_by_label("Full name").fill("Ingrid Solberg")
    page.get_by_label("E-mail").fill("ingrid.example.org")  # text with a pattern
    page.get_by_label("Nationality").select_option("NOR")
    page.get_by_label("Gender").select_option("female")
    leave = page.locator("#rows-leave div.row").first
    leave.get_by_label("From").fill("2027-08-01")
    leave.get_by_label("To").fill("2027-07-01")  # a row whose end is before its start
    medical = page.locator("#rows-credentials div.row").first
    medical.get_by_label("Credential").select_option("MEDICAL")
    medical.get_by_label("Issued on").fill("2027-02-01")
    medical.get_by_label("Valid through").fill("2027-01-01")  # a credential row: expires before its issue
    page.get_by_role("button", name="Add the expert").click()
    expect(page.locator("#err-email")).to_have_text("not an e-mail address: write it as name@example.org")
    expect(page.locator("#err-category")).to_have_text("required: choose one")
    expect(page.locator("#err-leave-0-end")).to_contain_text("end 2027-07-01 is before start 2027-08-01")
    expect(page.locator("#err-credentials-0-expires_on")).to_contain_text("is before issued_on 2027-02-01")
    expect(medical.get_by_label("Credential")).to_have_value("MEDICAL")
    shots(page, "expert-form-errors", full_page=True)

    page.get_by_label("E-mail").fill("ingrid@example.org")
    page.get_by_label("Category of person").select_option("police")
    leave.get_by_label("To").fill("2027-08-31")
    medical.get_by_label("Valid through").fill("2030-02-01")  # longer than a medical clearance lasts
    page.get_by_role("button", name="Add the expert").click()
    expect(page.locator("#err-credentials-0-expires_on")).to_contain_text("valid for at most 24 months")
    medical = page.locator("#rows-credentials div.row").first
    medical.get_by_label("Valid through").fill("2029-01-31")
    page.locator("#rows-skills").get_by_label("Skill").first.select_option("SSR-STRATEGY")
    page.locator("#rows-skills").get_by_label("Proficiency").first.select_option("5")
    page.get_by_role("button", name="Add the expert").click()
    expect(page.locator(".notice")).to_contain_text("Ingrid Solberg added as expert")
    expect(page.get_by_role("heading", name="Edit Ingrid Solberg")).to_be_visible()
    expect(page.locator("#rows-leave div.row").first.get_by_label("To")).to_have_value("2027-08-31")
    held = page.locator("#rows-credentials div.row").first
    expect(held.get_by_label("Credential")).to_have_value("MEDICAL")
    expect(held.get_by_label("Verified by (default: you)")).to_have_value("records member_state NOR")
    page.locator("#rows-credentials").get_by_role("button", name="Add a row").click()
    added = page.locator("#rows-credentials div.row").last
    added.get_by_label("Credential").select_option("CPTM")
    added.get_by_label("Valid through").fill("2029-06-30")

    page.get_by_label("Grade").select_option("P-4")
    page.get_by_role("button", name="Save changes").click()
    expect(page.locator(".notice")).to_have_text("Ingrid Solberg: saved.")
    expect(page.get_by_label("Grade")).to_have_value("P-4")
    codes = page.locator("#rows-credentials select").evaluate_all("ss => ss.map(s => s.value).filter(v => v)")
    assert codes == ["CPTM", "MEDICAL"]
    shots(page, "expert-saved", full_page=True)

    page.get_by_role("link", name="Deactivate this expert").click()
    expect(page.get_by_role("heading", name="Deactivate Ingrid Solberg?")).to_be_visible()
    page.get_by_role("button", name="Deactivate the expert").click()
    expect(page.locator(".notice")).to_contain_text("Ingrid Solberg deactivated")
    row = page.locator("#experts tbody tr", has_text="Ingrid Solberg")
    expect(row.locator("td").last).to_have_text("no")


def test_an_email_taken_is_said_beside_the_email(records_page, records_app):
    page = records_page
    sign_in(page, records_app["tokens"]["NOR"])
    taken = httpx.get(
        f"{records_app['url']}/experts/{records_app['made']['NOR']['expert']}",
        headers={"Authorization": f"Bearer {records_app['tokens']['NOR']}"},
    ).json()["email"]
    page.goto("/ui/experts/new")
    page.get_by_label("Full name").fill("Twin Record")
    page.get_by_label("E-mail").fill(taken)
    page.get_by_label("Nationality").select_option("NOR")
    page.get_by_label("Gender").select_option("male")
    page.get_by_label("Category of person").select_option("civilian")
    page.get_by_role("button", name="Add the expert").click()
    expect(page.locator("#err-email")).to_contain_text("already exists")


def test_the_offers_page_flags_what_needs_attention_with_links_to_the_records(records_page, records_app, shots):
    page = records_page
    sign_in(page, records_app["tokens"]["NOR"])
    page.goto("/ui/offers")
    badges = page.locator("#attention .attention")
    expect(badges.get_by_role("link", name="1 credential expired")).to_be_visible()
    expect(badges.get_by_role("link", name="1 credential expiring within 60 days")).to_be_visible()
    expect(badges.get_by_role("link", name="1 offer expiring within 60 days")).to_be_visible()
    expect(badges.get_by_role("link", name="1 deployment at risk")).to_be_visible()
    lapses = page.locator("#attention-credentials li")
    expect(lapses.first).to_contain_text(f"Lapsing Expert: MEDICAL expired on {_soon(-3)}")
    expect(lapses.nth(1)).to_contain_text(f"Lapsing Expert: CPTM valid through {_soon(20)}")
    expect(page.locator("#attention-risks")).to_contain_text("Risky Expert")
    shots(page, "offers-attention", full_page=True)
    badges.get_by_role("link", name="1 offer expiring within 60 days").click()
    page.locator("#attention-offers summary").click()
    page.locator("#attention-offers").get_by_role("link", name="Expiring team").click()
    expect(page).to_have_url(re.compile(f"#offer-{records_app['made']['attention']['expiring']}$"))
    lapses.first.get_by_role("link", name="Lapsing Expert").click()
    expect(page.get_by_role("heading", name="Edit Lapsing Expert")).to_be_visible()

    sign_in(page, records_app["tokens"]["GHA"])
    page.goto("/ui/offers")
    expect(page.locator("#attention .attention")).to_have_text("Nothing needs attention")
    assert "Lapsing Expert" not in page.content() and "Risky Expert" not in page.content()


# --- roles: through the pages a state reaches only its own records ----------------------------------------------


def _client(records_app, who: str) -> TestClient:
    client = TestClient(records_app["app"], follow_redirects=False)
    form = client.get("/ui/signin")
    csrf = re.search(r'name="csrf" value="([^"]+)"', form.text).group(1)
    assert client.post("/ui/signin", data={"token": records_app["tokens"][who], "csrf": csrf}).status_code == 303
    return client


def _csrf(client: TestClient) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', client.get("/ui/offers").text).group(1)


def _paths(kind: str, ident: int) -> list[tuple[str, str]]:
    """The pages that open, edit and withdraw (deactivate) one record, each as GET and POST."""
    base, end = (f"/ui/offers/{ident}", "withdraw") if kind == "offer" else (f"/ui/experts/{ident}", "deactivate")
    return [(method, f"{base}/{action}") for action in ("edit", end) for method in ("GET", "POST")]


@pytest.mark.parametrize("kind", ["offer", "expert"])
def test_a_state_cannot_open_edit_or_withdraw_another_state_s_record(records_app, kind):
    norway = _client(records_app, "NOR")
    csrf = _csrf(norway)
    ghana = records_app["made"]["GHA"][kind]
    missing = 999_999
    body = {"csrf": csrf, "title": "Taken over", "full_name": "Taken over", "version": "1"}
    for (method, path), (_, missing_path) in zip(_paths(kind, ghana), _paths(kind, missing)):
        answer = norway.request(method, path, data=body if method == "POST" else None)
        unknown = norway.request(method, missing_path, data=body if method == "POST" else None)
        assert answer.status_code == unknown.status_code == 404, (method, path, answer.text)
        # nothing learnt: the pages are alike but for the id asked (as a word: a static file's hash may hold its digits)
        assert re.sub(rf"\b{ghana}\b", "N", answer.text) == re.sub(rf"\b{missing}\b", "N", unknown.text)
    api = {"Authorization": f"Bearer {records_app['tokens']['GHA']}"}
    stored = httpx.get(f"{records_app['url']}/{kind}s/{ghana}", headers=api).json()
    assert stored["version"] == 1 and stored.get("status", "submitted") == "submitted" and stored.get("active", True)


@pytest.mark.parametrize("who", ["planner", "admin"])
def test_planners_and_admins_read_but_do_not_change_records(records_app, who):
    client = _client(records_app, who)
    csrf = _csrf(client)
    offer, expert = records_app["made"]["NOR"]["offer"], records_app["made"]["NOR"]["expert"]
    assert client.get(f"/ui/offers/{offer}").status_code == 200
    page = client.get("/ui/offers").text
    assert "Register an offer" not in page and "Add an expert" not in page
    for method, path in [("GET", "/ui/offers/new"), ("POST", "/ui/offers/new"), ("GET", "/ui/experts/new")]:
        answer = client.request(method, path, data={"csrf": csrf, "title": "x"} if method == "POST" else None)
        assert answer.status_code == 403 and "it needs one of: hq, member_state" in answer.text
    for method, path in _paths("offer", offer) + _paths("expert", expert):
        answer = client.request(method, path, data={"csrf": csrf} if method == "POST" else None)
        assert answer.status_code == 403, (method, path)


def test_hq_edits_a_state_s_offer_and_names_the_state_of_a_new_one(records_app):
    hq = _client(records_app, "hq")
    csrf = _csrf(hq)
    form = hq.get("/ui/offers/new").text
    assert 'name="state"' in form and "Offering Member State" in form
    offer = records_app["made"]["GHA"]["offer"]
    assert hq.get(f"/ui/offers/{offer}/edit").status_code == 200
    values = {k: v for k, v in factories.offer(title="No state named").items() if isinstance(v, str | int)}
    posted = hq.post("/ui/offers/new", data={"csrf": csrf, **values})
    assert posted.status_code == 422 and "name the offering Member State" in posted.text


def _drawn(form: str) -> dict[str, str]:
    """The values a browser would post for the form as drawn: its text, number and date fields, and the option
    chosen in each single select."""
    inputs = re.findall(r'<input id="f-[\w-]+" name="([\w.]+)" type="(?:text|number|date)" value="([^"]*)"', form)
    selects = re.findall(r'<select id="f-[\w-]+" name="([\w.]+)"[^>]*>(.*?)</select>', form, re.S)
    chosen = {name: re.search(r'<option value="([^"]*)" selected>', options) for name, options in selects}
    return dict(inputs) | {name: found.group(1) for name, found in chosen.items() if found}


def test_a_stale_form_changes_nothing_and_says_to_reload(records_app):
    norway = _client(records_app, "NOR")
    csrf = _csrf(norway)
    offer = records_app["made"]["NOR"]["offer"]
    form = norway.get(f"/ui/offers/{offer}/edit").text
    version = int(re.search(r'name="version" value="(\d+)"', form).group(1))
    api = {"Authorization": f"Bearer {records_app['tokens']['NOR']}"}
    assert httpx.patch(f"{records_app['url']}/offers/{offer}", json={"notice_days": 40}, headers=api).is_success
    posted = norway.post(
        f"/ui/offers/{offer}/edit",
        data={**_drawn(form), "csrf": csrf, "version": str(version), "title": "Stale title"},
    )
    assert posted.status_code == 422 and "Someone changed this record since you opened the form" in posted.text
    assert f'name="version" value="{version}"' in posted.text  # still stale: saving again needs a reload
    assert httpx.get(f"{records_app['url']}/offers/{offer}", headers=api).json()["title"] == "NOR engineers"
