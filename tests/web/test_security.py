"""Sign-in, cookies, CSRF and roles on the pages, over plain HTTP against the real server."""

import re

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from schemas.enums import PlanStatus, Role
from service.platform.auth import issue_token
from service.platform.tables import Plan, utcnow


@pytest.fixture
def http(base_url):
    with httpx.Client(base_url=base_url, follow_redirects=False, timeout=10) as client:
        yield client


def _sign_in(http: httpx.Client, secret: str) -> httpx.Response:
    form = http.get("/ui/signin")
    csrf = re.search(r'name="csrf" value="([^"]+)"', form.text).group(1)
    return http.post("/ui/signin", data={"token": secret, "csrf": csrf})


def _csrf(http: httpx.Client, path: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', http.get(path).text).group(1)


def test_root_and_pages_lead_to_sign_in(http):
    assert http.get("/").headers["location"] == "/ui"
    answer = http.get("/ui/requests")
    assert answer.status_code == 303 and answer.headers["location"] == "/ui/signin?next=%2Fui%2Frequests"
    assert http.get("/requests").status_code == 401  # the API itself still wants its Bearer token


def test_session_cookie_is_httponly_and_strict(http, token):
    answer = _sign_in(http, token("planner"))
    assert answer.status_code == 303 and answer.headers["location"] == "/ui/plans"
    cookie = next(c for c in answer.headers.get_list("set-cookie") if c.startswith("roster_session="))
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/" in cookie
    assert "Secure" not in cookie  # plain http on localhost; https requests get Secure
    assert http.get("/ui/plans").status_code == 200


def test_sign_in_form_needs_its_own_csrf_token(http, token):
    http.get("/ui/signin")
    answer = http.post("/ui/signin", data={"token": token("planner"), "csrf": "forged"})
    assert answer.status_code == 403 and "roster_session" not in answer.headers.get("set-cookie", "")


def test_posts_without_the_csrf_token_are_refused(http, token):
    api = {"Authorization": f"Bearer {token('planner')}"}
    plans_before = http.get("/plans", headers=api).json()["count"]
    _sign_in(http, token("planner"))
    refused = http.post("/ui/plans", data={"today": "2027-01-04", "time_limit": "5"})
    assert refused.status_code == 403 and "CSRF" in refused.text
    forged = http.post("/ui/plans", data={"today": "2027-01-04", "csrf": "0" * 64})
    assert forged.status_code == 403
    assert http.get("/plans", headers=api).json()["count"] == plans_before


def test_roles_are_enforced_as_in_the_api(http, token):
    _sign_in(http, token("member_state", "NOR"))
    csrf = _csrf(http, "/ui/offers")
    assert http.post("/ui/plans", data={"csrf": csrf, "today": "2027-01-04"}).status_code == 403
    assert http.get("/ui/plans").status_code == 403
    assert "Ask for capacity" in http.get("/ui/requests/new").text  # for its own government, HQ decides
    assert http.post("/ui/requests/1/decision", data={"csrf": csrf, "decision": "accept"}).status_code == 403
    assert http.get("/ui/requests/1/edit").status_code == 403  # HQ's request: visible (open), not the state's
    other = http.get("/offers", headers={"Authorization": f"Bearer {token('planner')}"}, params={"state": "GHA"})
    ghana_offer = other.json()["data"][0]["id"]
    assert http.post(f"/ui/offers/{ghana_offer}/renew", data={"csrf": csrf}).status_code == 404


def test_sign_out_forgets_the_session(http, token):
    _sign_in(http, token("hq"))
    csrf = _csrf(http, "/ui/requests")
    answer = http.post("/ui/signout", data={"csrf": csrf})
    assert answer.status_code == 303 and 'roster_session=""' in answer.headers["set-cookie"]
    assert http.get("/ui/requests").status_code == 303


def test_the_cookie_holds_a_session_id_not_the_token(http, token):
    secret = token("planner")
    answer = _sign_in(http, secret)
    cookie = http.cookies["roster_session"]
    assert answer.status_code == 303 and secret not in answer.headers["set-cookie"] and len(cookie) >= 40
    assert http.get("/ui/plans").status_code == 200
    assert http.get("/plans", headers={"Authorization": f"Bearer {cookie}"}).status_code == 401


def test_sign_out_ends_the_session_on_the_server_so_a_copied_cookie_no_longer_works(http, base_url, token):
    _sign_in(http, token("hq"))
    copied = http.cookies["roster_session"]
    with httpx.Client(base_url=base_url, cookies={"roster_session": copied}, follow_redirects=False) as thief:
        assert thief.get("/ui/requests").status_code == 200
        http.post("/ui/signout", data={"csrf": _csrf(http, "/ui/requests")})
        assert thief.get("/ui/requests").status_code == 303
    assert http.get("/requests", headers={"Authorization": f"Bearer {token('hq')}"}).status_code == 200  # token lives


def test_signing_in_again_ends_the_previous_session(http, base_url, token):
    _sign_in(http, token("planner"))
    first = http.cookies["roster_session"]
    _sign_in(http, token("hq"))
    assert http.cookies["roster_session"] != first and http.get("/ui/requests").status_code == 200
    with httpx.Client(base_url=base_url, cookies={"roster_session": first}, follow_redirects=False) as old:
        assert old.get("/ui/plans").status_code == 303


def test_revoking_the_token_ends_its_sessions(http, token, web_app):
    with Session(web_app.state.engine) as session:
        row, secret = issue_token(session, role=Role.hq, name="web to revoke")
        session.commit()
        token_id = row.id
    _sign_in(http, secret)
    assert http.get("/ui/requests").status_code == 200
    admin = {"Authorization": f"Bearer {token('admin')}"}
    assert http.delete(f"/tokens/{token_id}", headers=admin).status_code == 200
    assert http.get("/ui/requests").status_code == 303


def test_every_asset_is_served_by_the_app(http, token):
    _sign_in(http, token("planner"))
    for path in ("/ui/gaps", "/ui/deployments", "/ui/plans", "/ui/requests"):
        html = http.get(path).text
        sources = re.findall(r'(?:src|href)="([^"#]+)"', html)
        assert sources and all(s.startswith(("/", "?")) for s in sources), sources
    plotly = http.get("/ui/static/plotly.min.js")
    assert plotly.status_code == 200 and plotly.headers["content-type"].startswith("text/javascript")
    assert len(plotly.content) > 1_000_000
    assert http.get("/ui/static/app.css").status_code == 200


def test_plan_progress_streams_to_the_session_cookie(http, token):
    api = {"Authorization": f"Bearer {token('planner')}"}
    queued = http.post("/plans", headers=api, json={"today": "2027-01-04", "time_limit": 5})
    plan_id = queued.json()["id"]
    _sign_in(http, token("planner"))
    with http.stream("GET", f"/ui/plans/{plan_id}/events", timeout=90) as stream:
        assert stream.headers["content-type"].startswith("text/event-stream")
        body = ""
        for chunk in stream.iter_text():
            body += chunk
            if "event: end" in body:
                break
    assert "event: end" in body and '"status": "succeeded"' in body
    http.cookies.clear()
    _sign_in(http, token("member_state", "NOR"))
    assert http.get(f"/ui/plans/{plan_id}/events").status_code == 403


def test_cookie_is_secure_over_https(web_app, token):
    client = TestClient(web_app, base_url="https://roster.example", follow_redirects=False)
    answer = _sign_in(client, token("planner"))
    cookie = next(c for c in answer.headers.get_list("set-cookie") if c.startswith("roster_session="))
    assert "Secure" in cookie and "HttpOnly" in cookie


def test_missing_pages_answer_html_and_the_api_keeps_json(http, token):
    _sign_in(http, token("hq"))
    page = http.get("/ui/requests/999999")
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
    assert "capacity request 999999 not found" in page.text
    api = http.get("/requests/999999", headers={"Authorization": f"Bearer {token('hq')}"})
    assert api.status_code == 404 and api.json()["error"] == "not_found"


def test_the_plan_page_lists_the_solver_s_notes_as_text(http, token, web_app):
    notes = ["pin 7/E12 kept although it breaks: language fr", "<b>not markup</b>"]
    summary = {
        "solver_status": "optimal",
        "seats": 1,
        "filled": 1,
        "unfilled": 0,
        "wall_time": 0.5,
        "objectives": {},
        "best_bound": 0,
        "gap": 0.0,
        "model": {},
        "messages": notes,
    }
    with Session(web_app.state.engine) as session:
        plan = Plan(
            status=PlanStatus.succeeded,
            created_by="test",
            parameters={"today": "2027-01-04"},
            summary=summary,
            finished_at=utcnow(),
        )
        session.add(plan)
        session.commit()
        plan_id = plan.id
    _sign_in(http, token("planner"))
    page = http.get(f"/ui/plans/{plan_id}")
    assert page.status_code == 200 and "Notes from the solver" in page.text
    assert re.search(r"<li>pin 7/(?!E12 )[^<]+ kept although it breaks: language fr</li>", page.text)  # a name
    assert "<li>&lt;b&gt;not markup&lt;/b&gt;</li>" in page.text and notes[1] not in page.text
