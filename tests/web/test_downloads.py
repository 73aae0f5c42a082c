"""The pages' export buttons: CSV and XLSX through the browser's session cookie, scoped as the API's exports."""

import csv
import io
import re

import httpx
import pytest

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def http(base_url):
    with httpx.Client(base_url=base_url, follow_redirects=False, timeout=30) as client:
        yield client


def _sign_in(http: httpx.Client, secret: str) -> None:
    csrf = re.search(r'name="csrf" value="([^"]+)"', http.get("/ui/signin").text).group(1)
    assert http.post("/ui/signin", data={"token": secret, "csrf": csrf}).status_code == 303


def _plan_id(http: httpx.Client, secret: str) -> int:
    answer = http.post("/plans", json={"today": "2027-01-04"}, headers={"Authorization": f"Bearer {secret}"})
    assert answer.status_code == 202, answer.text
    return answer.json()["id"]


def test_exports_need_a_session(http):
    for path in ("/ui/plans/1/export", "/ui/deployments/export", "/ui/gaps/export"):
        answer = http.get(path)
        assert answer.status_code == 303 and answer.headers["location"].startswith("/ui/signin"), path


def test_a_planner_downloads_plans_deployments_and_gaps_in_both_formats(http, token):
    plan_id = _plan_id(http, token("planner"))
    _sign_in(http, token("planner"))
    for path in (f"/ui/plans/{plan_id}/export", "/ui/deployments/export", "/ui/gaps/export"):
        xlsx = http.get(path, params={"format": "xlsx"})
        assert xlsx.status_code == 200 and xlsx.headers["content-type"] == XLSX, path
        assert xlsx.content[:2] == b"PK" and "attachment" in xlsx.headers["content-disposition"]
        text = http.get(path, params={"format": "csv"})
        assert text.status_code == 200 and text.headers["content-type"].startswith("text/csv"), path
        assert next(csv.reader(io.StringIO(text.text)))  # a header row
    assert http.get("/ui/plans/999999/export").status_code == 404
    assert http.get("/ui/deployments/export", params={"format": "pdf"}).status_code == 422


def test_a_member_state_gets_only_its_own_deployments_and_no_plans(http, token):
    _sign_in(http, token("member_state", "NOR"))
    assert http.get("/ui/plans/1/export").status_code == 403
    rows = list(csv.DictReader(io.StringIO(http.get("/ui/deployments/export", params={"format": "csv"}).text)))
    api = httpx.get(
        http.base_url.join("/deployments"),
        params={"limit": 500},
        headers={"Authorization": f"Bearer {token('member_state', 'NOR')}"},
    ).json()
    assert len(rows) == api["count"]
    assert {r["id"] for r in rows} == {str(d["id"]) for d in api["data"]}


def test_an_id_beyond_the_database_s_range_is_a_422_not_a_500(http, token):
    _sign_in(http, token("planner"))
    answer = http.get("/ui/plans/99999999999999999999/export")
    assert answer.status_code == 422 and "plan_id" in answer.text
