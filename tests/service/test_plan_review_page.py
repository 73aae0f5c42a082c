"""The plan review page through the session cookie: queued vs solving, a row answered alone, the start form
seeded from a plan, alternatives ranked by the plan's own score with the holder apart, a failed plan in words; and
the requests list's filter of asking states by name."""

import html
import json
import re

from sqlmodel import Session

from schemas.enums import PlanStatus
from service.planning import jobs
from service.platform.tables import Plan
from tests.service import factories
from tests.service.test_planning_flow import TODAY, _expert, _run, world  # noqa: F401 (a fixture)


def _sign_in(client, auth, role: str) -> str:
    """Signs the client in on the pages; the CSRF field of the next form."""
    secret = auth(role)["Authorization"].removeprefix("Bearer ")
    form = client.get("/ui/signin")
    csrf = form.text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
    assert client.post("/ui/signin", data={"token": secret, "csrf": csrf}, follow_redirects=False).status_code == 303
    page = client.get("/ui/plans")
    return page.text.split('name="csrf" value="', 1)[1].split('"', 1)[0]


def test_a_queued_plan_waits_for_a_worker_then_shows_its_review(client, auth, engine, world):  # noqa: F811
    planner = auth("planner")
    _sign_in(client, auth, "planner")
    queued = client.post("/plans", json={"workers": 1, "today": TODAY}, headers=planner).json()
    page = client.get(f"/ui/plans/{queued['id']}").text
    assert "Waiting for a worker to pick it up" in page and "Solving" not in page
    assert re.search(r'<progress id="progress-bar"[^>]* hidden', page)
    assert jobs.work_once(engine, "test-worker") == queued["id"]
    page = client.get(f"/ui/plans/{queued['id']}").text
    assert "Waiting for a worker" not in page and "Proposed assignments" in page


def test_a_decision_asked_for_in_place_answers_the_row_alone(client, auth, engine, world):  # noqa: F811
    planner = auth("planner")
    csrf = _sign_in(client, auth, "planner")
    plan = _run(client, engine, planner, body={"workers": 1, "today": TODAY})
    first = client.get(f"/plans/{plan['id']}/assignments", headers=planner).json()["data"][0]
    form = {"csrf": csrf, "one": f"reject:{first['id']}"}
    answer = client.post(f"/ui/plans/{plan['id']}/review", data=form, headers={"X-Fragment": "row"})
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("application/json")
    body = answer.json()
    assert list(body["rows"]) == [str(first["id"])]
    row = body["rows"][str(first["id"])]
    assert row.startswith(f'<tr id="assignment-{first["id"]}"') and 'data-review="rejected"' in row
    assert ">Undo</button>" in row and "<html" not in row
    assert body["notice"] == "1 assignment rejected." and body["open"] == "4 proposals still to decide."

    refused = client.post(f"/ui/plans/{plan['id']}/review", data=form, headers={"X-Fragment": "row"})
    assert refused.status_code == 409 and 'id="refusal"' in refused.json()["rows"][str(first["id"])]
    undo = form | {"one": f"undo:{first['id']}"}
    without_js = client.post(f"/ui/plans/{plan['id']}/review", data=undo, follow_redirects=False)
    assert without_js.status_code == 303  # the ordinary form still answers the page again


def test_start_another_plan_keeps_the_planning_date_and_settings(client, auth, engine, world):  # noqa: F811
    planner = auth("planner")
    _sign_in(client, auth, "planner")
    body = {"workers": 1, "today": "2027-02-01", "min_readiness": "ready", "candidates": "roster"}
    plan = _run(client, engine, planner, body=body)
    review = client.get(f"/ui/plans/{plan['id']}").text
    assert f'href="/ui/plans?from={plan["id"]}"' in review and 'action="/ui/plans/' in review
    form = client.get(f"/ui/plans?from={plan['id']}").text
    assert 'name="today" type="date" value="2027-02-01"' in form and 'id="seeded"' in form
    assert '<option value="ready" selected>' in form and '<option value="roster" selected>' in form


def test_alternatives_rank_by_the_plans_score_and_never_offer_the_holder(client, auth, engine, world):  # noqa: F811
    planner = auth("planner")
    spare = client.post("/experts", json=_expert("Dag"), headers=auth("member_state", "NOR")).json()["id"]
    plan = _run(client, engine, planner, body={"workers": 1, "today": TODAY})
    position = world["strategic"]["positions"][0]["id"]
    held = {
        a["supplier"]["id"]: a
        for a in client.get(f"/plans/{plan['id']}/assignments", headers=planner).json()["data"]
        if a["position_id"] == position
    }
    assert len(held) == 3  # three of Norway's four alike experts, one per seat; the fourth is spare
    (free,) = ({e["id"] for e in world["experts"]} | {spare}) - {int(s[1:]) for s in held}
    holder = next(a for a in held.values() if a["seat"] == 1)
    options = client.get(f"/plans/{plan['id']}/positions/{position}/alternatives?seat=1", headers=planner).json()
    assert options["current"]["id"] == holder["supplier"]["id"]
    (option,) = options["data"]  # the spare one: moving a twin from another seat of the position gains nothing
    assert option["supplier"]["id"] == f"E{free}" and option["displaces"] == []
    # the same number the plan shows for an alike expert in a seat of this position: the full score, not priority
    assert option["total"] == holder["total"] == sum(option["score"].values()) > option["score"]["priority"]
    assert json.dumps(options).count(holder["supplier"]["id"]) == 1


def test_a_failed_re_solve_says_why_in_names_and_leads_back(client, auth, engine, world):  # noqa: F811
    planner = auth("planner")
    _sign_in(client, auth, "planner")
    plan = _run(client, engine, planner, body={"workers": 1, "today": TODAY})
    team = next(a for a in client.get(f"/plans/{plan['id']}/assignments", headers=planner).json()["data"] if a["slot"])
    queued = client.post(f"/plans/{plan['id']}/resolve", headers=planner).json()
    seat, supplier = f"P{team['position_id']}-{team['seat']}", team["supplier"]["id"]
    with Session(engine) as session:
        stored = session.get(Plan, queued["id"])
        stored.status, stored.error = (
            PlanStatus.failed,
            f"the plan broke hard rules and was not stored: {seat}/{supplier}: pair was rejected",
        )
        session.add(stored)
        session.commit()
    page = client.get(f"/ui/plans/{queued['id']}").text
    assert "The plan failed. The plan broke hard rules" in page
    assert f"{team['supplier']['name']} in {team['position_title']} (seat {team['seat']})" in page
    assert seat not in page and f"{supplier}:" not in page
    assert f'href="/ui/plans/{plan["id"]}">plan {plan["id"]}</a>' in page and f"/ui/plans?from={plan['id']}" in page


def test_the_requests_filter_lists_the_asking_states_by_name(client, auth):
    _sign_in(client, auth, "hq")
    select = client.get("/ui/requests").text.split('id="requested_by_state"', 1)[1].split("</select>", 1)[0]
    names = [html.unescape(n) for n in re.findall(r'<option value="[A-Z]{3}"[^>]*>([^<]+)</option>', select)]
    assert len(names) > 100 and names == sorted(names, key=str.lower)  # Albania before Angola, not by code


def test_an_empty_seat_of_a_team_filled_all_or_nothing_warns_before_a_swap(client, auth, engine, world):  # noqa: F811
    planner, hq = auth("planner"), auth("hq")
    _sign_in(client, auth, "planner")
    team = [
        factories.position(title="Team lead", group="bravo", all_or_nothing=True),
        factories.position(
            title="Team linguist", group="bravo", all_or_nothing=True, languages=[{"code": "de", "min_level": 4}]
        ),
    ]
    asked = client.post("/requests", json=factories.capacity_request(positions=team), headers=hq).json()
    plan = _run(client, engine, planner, body={"workers": 1, "today": TODAY})
    lead = asked["positions"][0]["id"]
    page = client.get(f"/ui/plans/{plan['id']}/positions/{lead}/alternatives?seat=1").text
    assert 'id="all-or-nothing"' in page and "“bravo”" in page and "the re-solve fails" in page
    other = world["strategic"]["positions"][0]["id"]
    assert 'id="all-or-nothing"' not in client.get(f"/ui/plans/{plan['id']}/positions/{other}/alternatives").text
