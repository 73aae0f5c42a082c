"""GET /reports/gaps: demand against supply by skill × level × quarter, as JSON and CSV, with the latest plan."""

import csv
import io
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import update
from sqlmodel import Session

from service.platform.tables import Deployment, Offer, Plan, PlanUnfilled, Position
from tests.service import factories

YEAR = {"from": "2027-01-01", "to": "2027-12-31"}
OP = "operational"
YEAR_QUARTERS = ("2027-Q1", "2027-Q2", "2027-Q3", "2027-Q4")


def _request(client, auth, positions: list[dict], **overrides) -> dict:
    body = factories.capacity_request(level=OP, positions=positions, **overrides)
    response = client.post("/requests", json=body, headers=auth("hq"))
    assert response.status_code == 201, response.text
    return response.json()


def _position(code: str, start: str, end: str, count: int) -> dict:
    return factories.position(
        title=f"{code} adviser",
        start_date=start,
        end_date=end,
        count=count,
        required_skills=[{"code": code, "min_proficiency": 3}],
        languages=[],
    )


def _expert(client, auth, proficiency: int, **overrides) -> int:
    defaults = {"skills": [{"code": "PAYROLL", "proficiency": proficiency}], "levels": [OP], "availability": []}
    body = factories.expert(**defaults | overrides)
    response = client.post("/experts", json=body, headers=auth("hq"))
    assert response.status_code == 201, response.text
    return response.json()["id"]


def _offer(client, auth, proficiency: int, slots: int, start: str, end: str, **overrides) -> int:
    body = factories.offer(
        **{
            "skills": [{"code": "PAYROLL", "proficiency": proficiency}],
            "levels": [OP],
            "slots": slots,
            "available_from": start,
            "available_to": end,
        }
        | overrides
    )
    response = client.post("/offers", json=body, headers=auth("member_state", "NOR"))
    assert response.status_code == 201, response.text
    return response.json()["id"]


def _set(engine, model, ident: int, **values) -> None:
    with Session(engine) as session:
        row = session.get(model, ident)
        for name, value in values.items():
            setattr(row, name, value)
        session.add(row)
        session.commit()


@pytest.fixture
def world(client, auth, engine) -> dict:
    """Open and closed requests for PAYROLL and ID-CARDS in 2027, eight experts and three offers."""
    r1 = _request(
        client,
        auth,
        [
            _position("PAYROLL", "2027-03-01", "2027-06-30", 8),
            _position("PAYROLL", "2027-05-01", "2027-05-31", 2),
            _position("PAYROLL", "2027-05-01", "2027-05-31", 1),
            _position("ID-CARDS", "2027-01-15", "2027-02-15", 5),
        ],
    )
    p1, p2, p_full, p_ids = (p["id"] for p in r1["positions"])
    _set(engine, Position, p2, filled=1)
    _set(engine, Position, p_full, filled=1)
    closed = _request(client, auth, [_position("PAYROLL", "2027-01-01", "2027-12-31", 5)])
    response = client.patch(f"/requests/{closed['id']}", json={"status": "closed"}, headers=auth("hq"))
    assert response.status_code == 200, response.text
    unmiss = _request(client, auth, [_position("PAYROLL", "2027-08-01", "2027-08-31", 1)], mission="UNMISS")

    anytime = _expert(client, auth, 4)  # no windows: every quarter (a cancelled deployment does not count)
    _expert(client, auth, 2, availability=[{"start": "2027-01-01", "end": "2027-03-31"}])  # Q1 only
    _expert(
        client,
        auth,
        5,
        leave=[
            {"start": "2027-04-01", "end": "2027-06-30"},  # all of Q2
            {"start": "2027-07-01", "end": "2027-08-15"},
        ],
    )  # half of Q3
    _expert(client, auth, 3, screening_valid_until="2026-12-31")  # expired before 2027
    _expert(client, auth, 3, screening_valid_until="2027-05-15")  # valid at Q2's start, not Q3's
    _expert(client, auth, 4, levels=["strategic"])
    _expert(client, auth, 4, active=False)
    deployed = _expert(client, auth, 4)
    with Session(engine) as session:
        session.add(
            Deployment(
                position_id=p1,
                request_id=r1["id"],
                seat=1,
                expert_id=deployed,
                supplier_key=f"E{deployed}",
                mission="MINUSCA",
                start_date=date(2027, 1, 1),
                end_date=date(2027, 3, 31),
                approved_by="test",
            )
        )
        session.add(
            Deployment(
                position_id=p1,
                request_id=r1["id"],
                seat=2,
                expert_id=anytime,
                supplier_key=f"E{anytime}",
                mission="MINUSCA",
                start_date=date(2027, 10, 1),
                end_date=date(2027, 12, 31),
                approved_by="test",
            )
        )
        session.flush()  # a deployment starts planned; the database lets it move on from there only
        session.execute(update(Deployment).where(Deployment.expert_id == deployed).values(status="deployed"))
        session.execute(update(Deployment).where(Deployment.expert_id == anytime).values(status="cancelled"))
        session.commit()

    o1 = _offer(client, auth, 3, 3, "2027-04-01", "2027-09-30")  # Q2, Q3
    _set(engine, Offer, o1, slots_used=1)
    o2 = _offer(client, auth, 2, 2, "2027-01-01", "2027-12-31")
    _set(engine, Offer, o2, expires_on=date(2027, 6, 30))  # still valid at Q2's start, not Q3's
    _offer(client, auth, 5, 4, "2027-01-01", "2027-12-31", status="draft")
    return {
        "r1": r1["id"],
        "p1": p1,
        "p2": p2,
        "p_full": p_full,
        "p_ids": p_ids,
        "closed": closed["id"],
        "closed_position": closed["positions"][0]["id"],
        "unmiss_position": unmiss["positions"][0]["id"],
    }


def _report(client, auth, role=("planner",), **params) -> dict:
    response = client.get("/reports/gaps", params=YEAR | params, headers=auth(*role))
    assert response.status_code == 200, response.text
    return response.json()


def _cell(report: dict, skill: str, level: str, quarter: str) -> dict | None:
    found = [c for c in report["cells"] if (c["skill"], c["level"], c["quarter"]) == (skill, level, quarter)]
    assert len(found) <= 1
    return found[0] if found else None


def _numbers(cell: dict | None) -> tuple:
    return None if cell is None else (cell["demand"], cell["supply"], cell["supply_proficient"], cell["gap"])


def test_demand_and_supply_of_each_quarter(client, auth, world):
    report = _report(client, auth)
    assert report["quarters"] == ["2027-Q1", "2027-Q2", "2027-Q3", "2027-Q4"]
    # Supply is who passes the solver's rules for a position of the cell (PAYROLL ≥ 3, operational, the whole
    # period). March–June: only the one without windows; proficiency 2, leave in June, screening to May, the
    # strategic one, a deployment to 31 March and offer 1 (from April) each fail a rule.
    assert _numbers(_cell(report, "PAYROLL", OP, "2027-Q1")) == (8, 1, 1, 7)
    # Q2 adds May: the deployed one is free again (after the rest days) and offer 1 counts its 3 slots.
    assert _numbers(_cell(report, "PAYROLL", OP, "2027-Q2")) == (9, 5, 5, 4)
    # August (UNMISS): leave to mid-August still keeps that expert out: a seat needs the whole period.
    assert _numbers(_cell(report, "PAYROLL", OP, "2027-Q3")) == (1, 5, 5, 0)
    assert _cell(report, "PAYROLL", OP, "2027-Q4") is None  # no demand: nothing to be eligible for
    assert _numbers(_cell(report, "ID-CARDS", OP, "2027-Q1")) == (5, 0, 0, 5)
    assert _cell(report, "ID-CARDS", OP, "2027-Q2") is None
    assert {c["status"] for c in report["cells"]} == {"shortage", "covered"}  # no plan: nothing left empty


def test_cell_fields_and_positions_behind_the_demand(client, auth, world):
    report = _report(client, auth)
    q1, q2 = _cell(report, "PAYROLL", OP, "2027-Q1"), _cell(report, "PAYROLL", OP, "2027-Q2")
    assert q1["positions"] == [world["p1"]]
    assert q2["positions"] == [world["p1"], world["p2"]]  # the filled position is left out
    assert q1["ratio"] == 0.12 and q1["skill_name"] == "Payroll systems for soldiers' salaries"
    assert all(world["closed_position"] not in c["positions"] for c in report["cells"])


def test_level_of_engagement_separates_supply(client, auth, world):
    """The strategic PAYROLL expert supplies no operational seat, and without strategic demand there is no cell."""
    assert _report(client, auth, level="strategic")["cells"] == []
    assert _numbers(_cell(_report(client, auth, level=OP), "PAYROLL", OP, "2027-Q1")) == (8, 1, 1, 7)


def test_cells_sorted_by_gap_then_skill_level_quarter_and_totals(client, auth, world):
    report = _report(client, auth)
    keys = [(c["skill"], c["level"], c["quarter"], c["gap"]) for c in report["cells"]]
    assert keys == [
        ("PAYROLL", OP, "2027-Q1", 7),
        ("ID-CARDS", OP, "2027-Q1", 5),
        ("PAYROLL", OP, "2027-Q2", 4),
        ("PAYROLL", OP, "2027-Q3", 0),
    ]
    assert report["totals"] == {"demand": 23, "supply": 11, "gap": 16}


def test_mission_filter_narrows_demand_and_the_supply_that_follows_it(client, auth, world):
    report = _report(client, auth, mission="UNMISS")
    assert _numbers(_cell(report, "PAYROLL", OP, "2027-Q3")) == (1, 5, 5, 0)
    assert _cell(report, "PAYROLL", OP, "2027-Q3")["positions"] == [world["unmiss_position"]]
    assert _cell(report, "PAYROLL", OP, "2027-Q1") is None
    assert _cell(report, "ID-CARDS", OP, "2027-Q1") is None


def test_skill_filter(client, auth, world):
    report = _report(client, auth, skill="id-cards")
    assert [_numbers(c) for c in report["cells"]] == [(5, 0, 0, 5)]
    assert report["totals"] == {"demand": 5, "supply": 0, "gap": 5}


def test_a_position_counts_in_every_quarter_it_overlaps(client, auth):
    _request(client, auth, [_position("LOGISTICS", "2027-02-15", "2027-10-01", 2)])
    report = _report(client, auth)
    assert [(c["quarter"], c["demand"]) for c in report["cells"]] == [(f"2027-Q{q}", 2) for q in (1, 2, 3, 4)]


def test_csv_has_the_json_numbers(client, auth, world):
    report = _report(client, auth)
    response = client.get("/reports/gaps", params=YEAR, headers=auth("planner") | {"Accept": "text/csv"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["content-disposition"] == 'attachment; filename="gaps-2027-01-01-2027-12-31.csv"'
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert list(rows[0]) == [
        "skill",
        "skill_name",
        "area",
        "level",
        "quarter",
        "demand",
        "supply",
        "supply_proficient",
        "gap",
        "ratio",
        "unfilled",
        "blocked_by_credentials",
        "positions",
        "status",
    ]
    assert [
        (
            r["skill"],
            r["level"],
            r["quarter"],
            int(r["demand"]),
            int(r["supply"]),
            int(r["supply_proficient"]),
            int(r["gap"]),
            float(r["ratio"]) if r["ratio"] else None,
            [int(p) for p in r["positions"].split()],
        )
        for r in rows
    ] == [
        (
            c["skill"],
            c["level"],
            c["quarter"],
            c["demand"],
            c["supply"],
            c["supply_proficient"],
            c["gap"],
            c["ratio"],
            c["positions"],
        )
        for c in report["cells"]
    ]


def test_format_parameter_and_accept_negotiation(client, auth, world):
    def kind(params: dict, accept: str | None) -> str:
        headers = auth("hq") | ({"Accept": accept} if accept else {})
        response = client.get("/reports/gaps", params=YEAR | params, headers=headers)
        assert response.status_code == 200
        return response.headers["content-type"].split(";")[0]

    assert kind({"format": "csv"}, None) == "text/csv"
    assert kind({"format": "json"}, "text/csv") == "application/json"
    assert kind({}, "application/json, text/csv;q=0.5") == "application/json"
    assert kind({}, "text/csv, application/json;q=0.9") == "text/csv"
    assert kind({}, "*/*") == "application/json"


def _plan(session: Session, status: str, finished: datetime, seats: list[tuple[int, int, dict]]) -> int:
    plan = Plan(status=status, created_by="test", finished_at=finished)
    session.add(plan)
    session.flush()
    for position_id, seat, detail in seats:
        session.add(
            PlanUnfilled(
                plan_id=plan.id,
                position_id=position_id,
                seat=seat,
                reason=f"reason {position_id}/{seat}",
                detail=detail,
            )
        )
    return plan.id


def _steps(*pairs: tuple[str, int]) -> dict:
    return {"eliminations": [{"rule": r, "eliminated": n, "remaining": 0, "detail": ""} for r, n in pairs]}


@pytest.fixture
def plans(engine, world) -> int:
    """An older and a newer succeeded plan, and a newest one that failed."""
    p1 = world["p1"]
    with Session(engine) as session:
        _plan(session, "succeeded", datetime(2026, 1, 1, tzinfo=UTC), [(p1, 1, _steps(("category", 9)))])
        latest = _plan(
            session,
            "succeeded",
            datetime(2026, 2, 1, tzinfo=UTC),
            [
                (p1, 1, _steps(("level", 2), ("skill:PAYROLL>=3", 5))),
                (p1, 2, _steps(("availability", 4), ("language:fr>=4", 4))),
                (p1, 3, _steps(("skill:PAYROLL>=3", 3))),
                (
                    world["p_ids"],
                    1,
                    _steps(("level", 0))
                    | {"competitors": [{"supplier_id": "E1", "taken_by": "P9", "why": "priority"}]},
                ),
                (world["closed_position"], 1, {}),
            ],
        )
        _plan(session, "failed", datetime(2026, 3, 1, tzinfo=UTC), [])
        session.commit()
    return latest


def test_latest_plan_unfilled_seats_and_top_reasons(client, auth, world, plans):
    report = _report(client, auth)
    assert report["latest_plan"]["id"] == plans
    assert [(u["position_id"], u["seat"], u["reason"]) for u in report["unfilled"]] == [
        (world["p1"], 1, f"reason {world['p1']}/1"),
        (world["p1"], 2, f"reason {world['p1']}/2"),
        (world["p1"], 3, f"reason {world['p1']}/3"),
        (world["p_ids"], 1, f"reason {world['p_ids']}/1"),
        (world["closed_position"], 1, f"reason {world['closed_position']}/1"),
    ]
    first = report["unfilled"][0]
    assert (first["request_id"], first["title"], first["mission"]) == (world["r1"], "PAYROLL adviser", "MINUSCA")
    assert report["top_reasons"] == [
        {"rule": "skill", "count": 2},
        {"rule": "availability", "count": 1},
        {"rule": "competition", "count": 1},
        {"rule": "other", "count": 1},
    ]


def test_member_states_see_unfilled_seats_of_open_requests_only(client, auth, world, plans):
    report = _report(client, auth, role=("member_state", "NOR"))
    assert world["closed_position"] not in [u["position_id"] for u in report["unfilled"]]
    assert len(report["unfilled"]) == 4
    assert {"rule": "other", "count": 1} not in report["top_reasons"]


def test_filters_apply_to_unfilled_seats(client, auth, world, plans):
    report = _report(client, auth, skill="ID-CARDS")
    assert [u["position_id"] for u in report["unfilled"]] == [world["p_ids"]]
    assert report["top_reasons"] == [{"rule": "competition", "count": 1}]


def test_no_plan_yet(client, auth, world):
    report = _report(client, auth)
    assert (report["latest_plan"], report["unfilled"], report["top_reasons"]) == (None, [], [])


def test_default_range_is_this_quarter_and_eight_ahead(client, auth):
    response = client.get("/reports/gaps", headers=auth("admin"))
    assert response.status_code == 200
    report = response.json()
    today = date.today()
    start = date(today.year, (today.month - 1) // 3 * 3 + 1, 1)
    assert report["from"] == start.isoformat()
    assert len(report["quarters"]) == 9
    assert report["quarters"][0] == f"{today.year}-Q{(today.month - 1) // 3 + 1}"
    assert report["to"].startswith(str(today.year + 2))


@pytest.mark.parametrize(
    ("params", "field", "words"),
    [
        ({"from": "2027-06-01", "to": "2027-05-31"}, "to", "before from"),
        ({"to": "2000-01-01"}, "to", "before from"),
        ({"from": "2027-01-01", "to": "2032-01-02"}, "to", "longer than 5 years"),
        ({"from": "2027-01-01", "to": "2027-13-01"}, "to", "date"),
        ({"from": "9999-01-01"}, "from", "outside 1900-01-01 to 2100-12-31"),
        ({"from": "2099-01-01", "to": "9999-12-31"}, "to", "outside"),
        ({"mission": "NOWHERE"}, "mission", "unknown mission"),
        ({"skill": "NO-SUCH-SKILL"}, "skill", "unknown skill"),
        ({"level": "galactic"}, "level", "strategic"),
    ],
)
def test_bad_parameters_answer_422_naming_the_field(client, auth, params, field, words):
    response = client.get("/reports/gaps", params=params, headers=auth("planner"))
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "validation_error"
    assert any(d["field"].endswith(field) and words in d["message"] for d in body["detail"]), body


def test_from_alone_runs_eight_quarters_ahead_and_a_leap_day_start_is_fine(client, auth):
    response = client.get("/reports/gaps", params={"from": "2028-02-29"}, headers=auth("hq"))
    assert response.status_code == 200
    assert (response.json()["to"], len(response.json()["quarters"])) == ("2030-03-31", 9)
    response = client.get("/reports/gaps", params={"from": "2028-02-29", "to": "2033-02-28"}, headers=auth("hq"))
    assert response.status_code == 200


def test_five_years_exactly_is_allowed(client, auth):
    response = client.get("/reports/gaps", params={"from": "2027-01-01", "to": "2032-01-01"}, headers=auth("hq"))
    assert response.status_code == 200
    assert len(response.json()["quarters"]) == 21


@pytest.mark.parametrize("role", [("admin",), ("hq",), ("planner",), ("member_state", "NOR")])
def test_every_role_may_read(client, auth, role):
    assert client.get("/reports/gaps", headers=auth(*role)).status_code == 200


def test_no_token_is_401(client):
    response = client.get("/reports/gaps")
    assert response.status_code == 401
    assert response.json()["error"] == "unauthorized"


def test_cells_count_the_seats_the_latest_plan_left_empty(client, auth, world, plans):
    """Unfilled per cell: a seat counts in every quarter its position overlaps, like demand."""
    report = _report(client, auth)
    empty = {q: (_cell(report, "PAYROLL", OP, q) or {}).get("unfilled") for q in YEAR_QUARTERS}
    assert empty == {"2027-Q1": 4, "2027-Q2": 4, "2027-Q3": 1, "2027-Q4": 1}  # p1 ×3 (Q1–Q2), closed ×1 (all)
    assert _cell(report, "ID-CARDS", OP, "2027-Q1")["unfilled"] == 1
    ms = _report(client, auth, role=("member_state", "NOR"))
    assert _cell(ms, "PAYROLL", OP, "2027-Q1")["unfilled"] == 3 and _cell(ms, "PAYROLL", OP, "2027-Q3")["unfilled"] == 0
    rows = list(
        csv.DictReader(
            io.StringIO(client.get("/reports/gaps", params=YEAR | {"format": "csv"}, headers=auth("planner")).text)
        )
    )
    assert {r["quarter"]: int(r["unfilled"]) for r in rows if (r["skill"], r["level"]) == ("PAYROLL", OP)} == empty
