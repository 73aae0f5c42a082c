"""Valid payloads for the API, with overrides; codes exist in the seeded reference data. And a plan stored as
if solved, for tests that need given proposals rather than the solver's."""

import itertools
from datetime import date
from typing import Any

from sqlmodel import Session

from schemas.enums import PlanStatus
from service.deployments import repository as deployments
from service.platform.tables import Plan, PlanAssignment, Position

_serial = itertools.count(1)


def expert(**overrides: Any) -> dict:
    n = next(_serial)
    body = {
        "full_name": f"Amina Test {n}",
        "email": f"expert{n}@example.org",
        "category": "police",
        "nationality": "SEN",
        "gender": "female",
        "grade": "P-4",
        "source": "secondee",
        "notice_days": 30,
        "screening_valid_until": "2029-12-31",
        "skills": [{"code": "SSR-STRATEGY", "proficiency": 4}],
        "languages": [{"code": "en", "level": 3}, {"code": "fr", "level": 5}],
        "levels": ["strategic"],
        "availability": [{"start": "2027-01-01", "end": "2028-12-31"}],
        "leave": [],
    }
    return body | overrides


def offer(**overrides: Any) -> dict:
    n = next(_serial)
    body = {
        "title": f"Police advisers team {n}",
        "kind": "team",
        "slots": 3,
        "category": "police",
        "available_from": "2027-01-01",
        "available_to": "2027-12-31",
        "max_duration_days": 365,
        "cost_bearer": "member_state",
        "notice_days": 45,
        "expires_on": "2030-06-30",
        "skills": [{"code": "SSR-STRATEGY", "proficiency": 3}],
        "levels": ["strategic"],
        "languages": [{"code": "en", "level": 4}],
        "excluded_missions": [],
        "excluded_states": [],
    }
    return body | overrides


def assessed(client, hq: dict[str, str], offer: dict, readiness: str = "assessed") -> dict:
    """The offer after a passed assessment visit recorded by HQ (and, if asked, its readiness raised further)."""
    visit = {"visited_on": "2026-11-02", "team": "UN assessment and advisory visit", "result": "passed"}
    made = client.post(f"/offers/{offer['id']}/assessments", json=visit, headers=hq)
    assert made.status_code == 201, made.text
    if readiness != "assessed":
        raised = client.post(
            f"/offers/{offer['id']}/readiness", json={"readiness": readiness, "reason": "visit passed"}, headers=hq
        )
        assert raised.status_code == 200, raised.text
    return client.get(f"/offers/{offer['id']}", headers=hq).json()


def position(**overrides: Any) -> dict:
    body = {
        "title": "Senior SSR adviser",
        "start_date": "2027-03-01",
        "end_date": "2027-12-31",
        "required_skills": [{"code": "SSR-STRATEGY", "min_proficiency": 3}],
        "languages": [{"code": "fr", "min_level": 4}],
    }
    return body | overrides


def capacity_request(**overrides: Any) -> dict:
    n = next(_serial)
    body = {
        "mission": "MINUSCA",
        "title": f"National security strategy support {n}",
        "level": "strategic",
        "priority": 2,
        "deploy_by": "2027-03-01",
        "benchmark": "short_term",
        "positions": [position()],
    }
    return body | overrides


def stored_plan(engine, pairs: list[tuple[dict, int]]) -> tuple[int, list[PlanAssignment]]:
    """A succeeded plan proposing each expert id for seat 1 of its position (as the API returned it)."""
    with Session(engine, expire_on_commit=False) as session:
        plan = Plan(status=PlanStatus.succeeded, created_by="test", parameters={})
        session.add(plan)
        session.flush()
        rows = [
            PlanAssignment(
                plan_id=plan.id,
                position_id=p["id"],
                seat=1,
                expert_id=e,
                supplier_key=f"E{e}",
                start_date=date.fromisoformat(p["start_date"]),
                end_date=date.fromisoformat(p["end_date"]),
            )
            for p, e in pairs
        ]
        session.add_all(rows)
        session.commit()
        return plan.id, rows


def deploy(engine, position_id: int, *, expert: int | None = None, offer: int | None = None) -> int:
    """A deployment as an approval makes it (the booking rules, the events), without a plan; its id."""
    with Session(engine) as session:
        made = deployments.create(
            session,
            position=session.get(Position, position_id),
            seat=1,
            expert_id=expert,
            offer_id=offer,
            plan_id=None,
            assignment_id=None,
            approved_by="test",
        )
        session.commit()
        return made.id


def confirm(client, auth, deployment_id: int) -> dict:
    """The contributing state's consent, recorded by HQ: the deployment is planned."""
    made = client.post(f"/deployments/{deployment_id}/consent", json={"decision": "confirm"}, headers=auth("hq"))
    assert made.status_code == 200 and made.json()["status"] == "planned", made.text
    return made.json()
