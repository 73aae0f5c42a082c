"""The gap report's supply is who could take the seats by the solver's own rules, not who holds the skill; a cell the
latest plan left seats empty in is never covered, and on the demo data the heatmap and the plan agree."""

import re
from datetime import date

import pytest
from sqlmodel import Session

from schemas.enums import CandidatePool, PlanStatus, Readiness
from service.planning import jobs
from service.platform.tables import Plan
from service.reports.gaps import cell_status
from service.reports.supply import basis
from service.seeding import seed_demo
from service.web.gaps import COLOURS, reasons
from tests.service import factories
from tests.service.test_credential_gaps import SHORT_MEDICAL

YEAR = {"from": "2027-01-01", "to": "2027-12-31"}
QUARTERS = ["2027-Q1", "2027-Q2", "2027-Q3", "2027-Q4"]
DEMO_TODAY = "2027-01-04"


def _request(client, hq, **position) -> dict:
    body = factories.capacity_request(positions=[factories.position(**position)])
    made = client.post("/requests", json=body, headers=hq)
    assert made.status_code == 201, made.text
    return made.json()


def _expert(client, hq, **overrides) -> int:
    made = client.post("/experts", json=factories.expert(**overrides), headers=hq)
    assert made.status_code == 201, made.text
    return made.json()["id"]


def _solve(client, engine, planner, **body) -> int:
    queued = client.post("/plans", json={"workers": 1, "today": DEMO_TODAY} | body, headers=planner)
    assert queued.status_code == 202, queued.text
    assert jobs.work_once(engine, "test-worker") == queued.json()["id"]
    return queued.json()["id"]


def _sign_in(client, auth, *role: str) -> None:
    secret = auth(*role)["Authorization"].removeprefix("Bearer ")
    csrf = client.get("/ui/signin").text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
    assert client.post("/ui/signin", data={"token": secret, "csrf": csrf}, follow_redirects=False).status_code == 303


def _cells(report: dict, skill: str) -> dict[str, dict]:
    return {c["quarter"]: c for c in report["cells"] if c["skill"] == skill}


@pytest.mark.parametrize(
    ("demand", "supply", "unfilled", "stranded", "status"),
    [
        (2, 0, 0, 0, "shortage"),  # nobody can take them
        (2, 1, 0, 0, "shortage"),  # fewer than the seats
        (2, 0, 2, 2, "shortage"),
        (2, 3, 1, 0, "unfilled"),  # enough on paper, yet the plan left one empty
        (3, 4, 1, 1, "shortage"),  # enough for the cell, but none for the position of its empty seat
        (0, 0, 1, 0, "unfilled"),  # an empty seat whose demand has gone since: still not green
        (2, 2, 0, 0, "covered"),
    ],
)
def test_the_status_of_a_cell(demand, supply, unfilled, stranded, status):
    assert cell_status(demand, supply, unfilled, stranded) == status
    assert COLOURS[status] == {"shortage": "red", "unfilled": "amber", "covered": "green"}[status]


def test_the_reasons_of_a_seat_say_what_kept_out_those_the_rules_left():
    funnel = {"pool": 4, "eliminations": [{"rule": "level", "eliminated": 3, "remaining": 1, "detail": "do not work"}]}
    kept_out = reasons(funnel | {"eligible": 1, "competitors": []}, "the solver's sentence")
    assert kept_out[:2] == ["Started from 4 candidates (experts and offer slots).", "3 do not work — 1 left."]
    assert kept_out[2].startswith("The 1 left was kept out by a team rule")
    taken = reasons(
        funnel | {"eligible": 1, "competitors": [{"supplier_id": "E1", "taken_by": "P2-1", "why": "x"}]}, ""
    )
    assert not any("team rule" in line for line in taken)
    assert reasons({}, "the solver's sentence") == ["the solver's sentence"]


def test_candidates_are_judged_with_the_plans_settings_on_its_date_or_today_if_later(engine):
    stored = {"min_readiness": "assessed", "candidates": "both", "provisional": False}
    with Session(engine) as session:
        plans = [
            Plan(status=PlanStatus.succeeded, created_by="test", parameters=stored | {"today": day})
            for day in ("2090-01-01", "2020-01-01")
        ]
        session.add_all(plans)
        session.commit()
        ahead, behind = (basis(session, p.id) for p in plans)
        assert (ahead.today, ahead.parameters.min_readiness, ahead.pool) == (
            date(2090, 1, 1),
            Readiness.assessed,
            CandidatePool.both,
        )
        assert behind.today == date.today()  # notice counts from today: an old plan's date would let in too many
        none = basis(session, None)
        assert (none.today, none.parameters.min_readiness, none.pool) == (
            date.today(),
            Readiness.pledged,
            CandidatePool.roster,
        )


@pytest.fixture
def holders(client, auth) -> dict:
    """Two strategic SSR-STRATEGY seats (March to December) and three experts who hold the skill at 4 but cannot
    take them: one works at the operational level only, one is available to June only, one's medical clearance
    ends in June."""
    hq = auth("hq")
    request = _request(client, hq, count=2)
    _expert(client, hq, levels=["operational"])
    _expert(client, hq, availability=[{"start": "2027-01-01", "end": "2027-06-30"}])
    lapsing = _expert(client, hq, credentials=SHORT_MEDICAL)
    return {"request": request["id"], "position": request["positions"][0]["id"], "lapsing": lapsing}


def test_holders_who_cannot_take_the_seats_are_no_supply(client, auth, holders):
    report = client.get("/reports/gaps", params=YEAR, headers=auth("planner")).json()
    cells = _cells(report, "SSR-STRATEGY")
    assert list(cells) == QUARTERS
    assert {(c["level"], c["demand"], c["supply"], c["gap"], c["status"]) for c in cells.values()} == {
        ("strategic", 2, 0, 2, "shortage")
    }
    assert report["totals"] == {"demand": 8, "supply": 0, "gap": 8}


def test_the_page_paints_that_cell_red(client, auth, holders):
    _sign_in(client, auth, "planner")
    page = client.get("/ui/gaps", params={"start": YEAR["from"], "end": YEAR["to"]})
    assert page.status_code == 200
    rows = [line for line in page.text.splitlines() if 'data-skill="SSR-STRATEGY"' in line]
    assert len(rows) == 4 and all('class="gap-red"' in row for row in rows), rows


def test_one_who_passes_every_rule_counts_once_in_each_quarter_as_soon_as_the_roster_says_so(client, auth, holders):
    """The report keeps the solver's view of the roster while the roster stands still: a new expert, or a renewed
    credential (its own table), shows at once."""
    hq, planner = auth("hq"), auth("planner")

    def supply() -> set[tuple[int, int, str]]:
        report = client.get("/reports/gaps", params=YEAR, headers=planner).json()
        return {(c["supply"], c["gap"], c["status"]) for c in _cells(report, "SSR-STRATEGY").values()}

    assert supply() == {(0, 2, "shortage")}
    _expert(client, hq)
    assert supply() == {(1, 1, "shortage")}
    path = f"/experts/{holders['lapsing']}"
    etag = client.get(path, headers=hq).headers["etag"]
    renewed = factories.credentials("HR-SCREENING", *factories.HELD)
    changed = client.patch(path, json={"credentials": renewed}, headers=hq | {"If-Match": etag})
    assert changed.status_code == 200, changed.text
    assert supply() == {(2, 0, "covered")}


def test_a_seat_left_empty_with_supply_enough_is_amber_and_names_the_seat(client, auth, engine):
    """One expert for two seats at once (two skills, two requests): the plan fills one, the other's cell has supply
    1 for demand 1 and is amber, with its empty seat and the plan's reasons."""
    hq = auth("hq")
    both = [{"code": "SSR-STRATEGY", "proficiency": 4}, {"code": "DDR-DESIGN", "proficiency": 4}]
    _expert(client, hq, skills=both, full_name="Ane Both")
    strategy = _request(client, hq)
    ddr = _request(client, hq, required_skills=[{"code": "DDR-DESIGN", "min_proficiency": 3}])
    _solve(client, engine, auth("planner"), request_ids=[strategy["id"], ddr["id"]])
    report = client.get("/reports/gaps", params=YEAR, headers=auth("planner")).json()
    (empty,) = report["unfilled"]
    skill = "DDR-DESIGN" if empty["position_id"] == ddr["positions"][0]["id"] else "SSR-STRATEGY"
    other = {"DDR-DESIGN": "SSR-STRATEGY", "SSR-STRATEGY": "DDR-DESIGN"}[skill]
    for cell in _cells(report, skill).values():
        assert (cell["demand"], cell["supply"], cell["unfilled"], cell["status"]) == (1, 1, 1, "unfilled")
        assert cell["unfilled_seats"] == [{"position_id": empty["position_id"], "seat": 1}]
    assert {c["status"] for c in _cells(report, other).values()} == {"covered"}
    assert empty["request"] and empty["detail"]["competitors"]
    _sign_in(client, auth, "planner")
    page = client.get("/ui/gaps", params={"start": YEAR["from"], "end": YEAR["to"]}).text
    assert "Ane Both was eligible but went to" in page and not re.search(r"\b[EP]\d+(-\d+)? was eligible", page)
    _sign_in(client, auth, "member_state", "NOR")
    page = client.get("/ui/gaps", params={"start": YEAR["from"], "end": YEAR["to"]}).text
    assert "someone was eligible but went to" in page and "Ane Both" not in page


def test_an_empty_seat_nobody_can_take_is_red_though_the_cell_has_supply_enough(client, auth, engine):
    """Two positions of one cell: two experts can take the first, nobody the second (German, which none speaks):
    supply 2 for demand 2, yet the empty seat is nobody's: red, not amber (found by a planner's trial: an amber cell
    whose every empty seat said "0 left")."""
    hq = auth("hq")
    for name in ("Ane Some", "Bo Some"):
        _expert(client, hq, full_name=name)
    plain = _request(client, hq)
    german = _request(client, hq, languages=[{"code": "de", "min_level": 4}])
    _solve(client, engine, auth("planner"), request_ids=[plain["id"], german["id"]])
    report = client.get("/reports/gaps", params=YEAR, headers=auth("planner")).json()
    (empty,) = report["unfilled"]
    assert empty["position_id"] == german["positions"][0]["id"]
    for cell in _cells(report, "SSR-STRATEGY").values():
        assert (cell["demand"], cell["supply"], cell["unfilled"], cell["status"]) == (2, 2, 1, "shortage")


def test_on_the_demo_data_every_seat_the_plan_left_empty_is_in_a_red_or_amber_cell(client, auth, engine):
    with Session(engine) as session:
        seed_demo(session)
    _solve(client, engine, auth("planner"))
    report = client.get(
        "/reports/gaps", params={"from": DEMO_TODAY, "to": "2028-12-31"}, headers=auth("planner")
    ).json()
    assert len(report["unfilled"]) > 10  # the demo leaves seats empty: the test is not vacuous
    painted = {
        (s["position_id"], s["seat"]) for c in report["cells"] if c["status"] != "covered" for s in c["unfilled_seats"]
    }
    assert {(u["position_id"], u["seat"]) for u in report["unfilled"]} <= painted
    assert all(c["status"] != "covered" for c in report["cells"] if c["unfilled"])
    assert sum(c["gap"] for c in report["cells"]) > 0  # supply is no longer everyone holding the skill


def test_a_member_state_reads_the_empty_seats_without_the_planners_alternatives(client, auth, engine):
    hq = auth("hq")
    _expert(client, hq)
    _request(client, hq, required_skills=[{"code": "DDR-DESIGN", "min_proficiency": 5}])  # nobody has it
    _solve(client, engine, auth("planner"))
    _sign_in(client, auth, "member_state", "NOR")
    page = client.get("/ui/gaps", params={"start": YEAR["from"], "end": YEAR["to"]})
    assert page.status_code == 200
    assert 'id="empty-seats"' in page.text and re.search(r"1 lacks skill “[^”]+” ≥ 5", page.text)
    assert "/alternatives" not in page.text
