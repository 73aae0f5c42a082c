"""Exports of plans, deployments and the gap report: they open with openpyxl and hold the JSON API's data."""

import csv
import io

import openpyxl
import pytest

from service.planning import jobs
from tests.service import factories

TODAY = "2027-01-04"


def _sheet(content: bytes, name: str) -> list[dict]:
    book = openpyxl.load_workbook(io.BytesIO(content), read_only=True)
    rows = list(book[name].iter_rows(values_only=True))
    book.close()
    return [dict(zip(rows[0], row)) for row in rows[1:]]


def _csv(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


@pytest.fixture
def planned(client, auth, engine) -> dict:
    """Norway's two experts and Ghana's team, a plan over two requests, two assignments approved."""
    norway, ghana, hq, planner = auth("member_state", "NOR"), auth("member_state", "GHA"), auth("hq"), auth("planner")
    for name in ("Ane", "Bjorn"):
        expert = factories.expert(
            full_name=name,
            nationality="NOR",
            notice_days=10,
            languages=[{"code": "en", "level": 4}, {"code": "fr", "level": 5}],
        )
        assert client.post("/experts", json=expert, headers=norway).status_code == 201
    team = factories.offer(
        title="IHL training team",
        kind="team",
        slots=2,
        category="military",
        levels=["tactical"],
        skills=[{"code": "IHL-TRAINING", "proficiency": 4}],
        languages=[{"code": "fr", "level": 4}],
        available_from="2027-01-01",
        available_to="2028-12-31",
        notice_days=20,
    )
    made = client.post("/offers", headers=ghana, json=team)
    assert made.status_code == 201
    factories.assessed(client, hq, made.json())
    client.post(
        "/requests",
        headers=hq,
        json=factories.capacity_request(
            priority=1, positions=[factories.position(count=3, start_date="2027-03-01", end_date="2027-12-31")]
        ),
    )
    client.post(
        "/requests",
        headers=hq,
        json=factories.capacity_request(
            title="IHL trainers",
            level="tactical",
            priority=3,
            positions=[
                factories.position(
                    title="IHL trainer",
                    level="tactical",
                    count=1,
                    required_skills=[{"code": "IHL-TRAINING", "min_proficiency": 3}],
                    start_date="2027-04-01",
                    end_date="2027-09-30",
                )
            ],
        ),
    )
    plan_id = client.post("/plans", json={"time_limit": 10, "workers": 1, "today": TODAY}, headers=planner).json()["id"]
    assert jobs.work_once(engine, "test-worker") == plan_id
    assignments = client.get(f"/plans/{plan_id}/assignments", headers=planner).json()["data"]
    by_kind = {a["supplier"]["kind"]: a["id"] for a in assignments}
    reviewed = client.post(
        f"/plans/{plan_id}/review", json={"approve": [by_kind["expert"], by_kind["offer"]]}, headers=planner
    )
    assert reviewed.status_code == 200, reviewed.text
    return {"plan": plan_id}


def test_plan_export_matches_the_api(client, auth, planned):
    planner, plan = auth("planner"), planned["plan"]
    response = client.get(f"/plans/{plan}/export?format=xlsx", headers=planner)
    assert response.status_code == 200
    assert response.headers["content-disposition"] == f'attachment; filename="plan-{plan}.xlsx"'
    assert response.headers["content-type"].startswith("application/vnd.openxmlformats")
    api = client.get(f"/plans/{plan}/assignments", headers=planner).json()["data"]
    rows = _sheet(response.content, "assignments")
    assert [(r["id"], r["supplier_id"], r["supplier_name"], r["total"], r["review"]) for r in rows] == [
        (a["id"], a["supplier"]["id"], a["supplier"]["name"], a["total"], a["review"]) for a in api
    ]
    assert all(r[f"score_{k}"] == v for r, a in zip(rows, api) for k, v in a["score"].items())
    unfilled = client.get(f"/plans/{plan}/unfilled", headers=planner).json()["data"]
    assert [(r["position_id"], r["seat"], r["reason"]) for r in _sheet(response.content, "unfilled")] == [
        (u["position_id"], u["seat"], u["reason"]) for u in unfilled
    ]
    as_csv = client.get(f"/plans/{plan}/export?format=csv&sheet=assignments", headers=planner)
    assert as_csv.headers["content-type"].startswith("text/csv")
    assert [int(r["id"]) for r in _csv(as_csv.text)] == [a["id"] for a in api]
    assert len(_csv(client.get(f"/plans/{plan}/export?format=csv&sheet=unfilled", headers=planner).text)) == len(
        unfilled
    )


def test_plan_export_roles_and_missing_plan(client, auth, planned):
    plan = planned["plan"]
    assert client.get(f"/plans/{plan}/export", headers=auth("member_state", "NOR")).status_code == 403
    assert client.get(f"/plans/{plan}/export").status_code == 401
    assert client.get(f"/plans/{plan}/export", headers=auth("hq")).status_code == 200
    assert client.get("/plans/999/export", headers=auth("planner")).status_code == 404
    assert client.get(f"/plans/{plan}/export?format=pdf", headers=auth("planner")).status_code == 422


def test_deployments_export_has_the_api_rows_and_visibility(client, auth, planned):
    hq = auth("hq")
    api = client.get("/deployments", headers=hq).json()["data"]
    assert len(api) == 2
    rows = _sheet(client.get("/deployments/export?format=xlsx", headers=hq).content, "deployments")
    assert [
        (r["id"], r["supplier_id"], r["contributing_state"], r["start_date"].date().isoformat(), r["status"])
        for r in rows
    ] == [(d["id"], d["supplier"]["id"], d["contributing_state"], d["start_date"], d["status"]) for d in api]
    norway = _csv(client.get("/deployments/export?format=csv", headers=auth("member_state", "NOR")).text)
    assert [r["contributing_state"] for r in norway] == ["NOR"]
    ghana_only = _csv(client.get("/deployments/export?format=csv&state=GHA", headers=hq).text)
    assert [r["supplier_kind"] for r in ghana_only] == ["offer"]
    backwards = "/deployments/export?active_from=2027-06-01&active_to=2027-01-01"
    assert client.get(backwards, headers=hq).status_code == 422


def test_gap_export_matches_the_report(client, auth, planned):
    planner = auth("planner")
    params = "from=2027-01-01&to=2027-12-31"
    report = client.get(f"/reports/gaps?{params}", headers=planner).json()
    assert report["cells"]
    as_csv = client.get(f"/reports/gaps/export?format=csv&{params}", headers=planner)
    assert as_csv.text == client.get(f"/reports/gaps?format=csv&{params}", headers=planner).text
    assert 'filename="gaps-2027-01-01-2027-12-31.csv"' in as_csv.headers["content-disposition"]
    content = client.get(f"/reports/gaps/export?format=xlsx&{params}", headers=auth("member_state", "NOR")).content
    cells = _sheet(content, "gaps")
    assert [(c["skill"], c["level"], c["quarter"], c["demand"], c["supply"], c["gap"]) for c in cells] == [
        (c["skill"], c["level"], c["quarter"], c["demand"], c["supply"], c["gap"]) for c in report["cells"]
    ]
    summary = {r["item"]: r["value"] for r in _sheet(content, "summary")}
    assert summary["demand"] == report["totals"]["demand"] and summary["gap"] == report["totals"]["gap"]
    bad = client.get("/reports/gaps/export?from=2027-12-31&to=2027-01-01", headers=planner)
    assert bad.status_code == 422


def test_exports_need_a_token(client):
    assert client.get("/deployments/export").status_code == 401
    assert client.get("/reports/gaps/export").status_code == 401


def test_text_that_looks_like_a_formula_stays_text():
    from service.spreadsheets.writing import Table, to_xlsx

    content = to_xlsx([Table("t", ["name", "n"], [['=HYPERLINK("http://x")', 3], ["plain", None]])])
    sheet = openpyxl.load_workbook(io.BytesIO(content))["t"]
    assert (sheet["A2"].value, sheet["A2"].data_type) == ('=HYPERLINK("http://x")', "s")
    assert (sheet["B2"].value, sheet["A3"].value, sheet["B3"].value) == (3, "plain", None)


def test_csv_cells_that_a_spreadsheet_would_run_are_defused():
    """HQ opens these files in Excel: a name like =HYPERLINK(...) must arrive as text, not a formula."""
    from service.spreadsheets.writing import Table, to_csv

    table = Table(
        name="t",
        columns=["name", "n"],
        rows=[['=HYPERLINK("http://x")', -3], ["@SUM(A1)", 2], ["+cmd", 1], ["Amina", 0]],
    )
    rows = list(csv.reader(io.StringIO(to_csv(table).decode())))
    assert rows[1:] == [['\'=HYPERLINK("http://x")', "-3"], ["'@SUM(A1)", "2"], ["'+cmd", "1"], ["Amina", "0"]]


def test_blanks_before_a_formula_do_not_escape_the_guard():
    """Excel and LibreOffice skip leading spaces, so " =1+1" runs: any blank run before = + - @ is defused too."""
    from service.spreadsheets.writing import Table, to_csv

    names = [" =HYPERLINK(1)", "\t=1", "  +cmd", "\n@SUM(A1)", "\r-2", "\u00a0=1", "A = B", "x-1"]
    rows = list(csv.reader(io.StringIO(to_csv(Table("t", ["name"], [[n] for n in names])).decode())))
    assert [r[0] for r in rows[1:]] == ["'" + n for n in names[:6]] + ["A = B", "x-1"]
