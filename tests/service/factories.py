"""Valid payloads for the API, with overrides; codes exist in the seeded reference data. And a plan stored as
if solved, for tests that need given proposals rather than the solver's."""

import itertools
from datetime import date
from typing import Any

from sqlmodel import Session

from schemas.enums import AssessmentResult, AssessmentStage, CallStatus, PlanStatus
from service.deployments import repository as deployments
from service.platform.tables import (
    Expert,
    Nomination,
    NominationCall,
    NominationCallPosition,
    NominationStageResult,
    Offer,
    Plan,
    PlanAssignment,
    Position,
    utcnow,
)

_serial = itertools.count(1)
# Every credential a position requires by default of any category, valid well past the tests' dates (the
# screening comes with experts as its own field, and with offers as an attestation like the rest).
HELD = ["CPTM", "MEDICAL", "SSAFE", "DRIVING-TEST", "FIREARMS-TEST"]


def credentials(*codes: str, expires_on: str = "2029-12-31") -> list[dict]:
    return [{"code": code, "expires_on": expires_on} for code in codes]


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
        "credentials": credentials(*HELD),
    }
    return body | overrides


def expert_in(year: int, **overrides: Any) -> dict:
    """An expert available all of ``year``, screened and holding every usual credential until five years after."""
    valid = f"{year + 5}-12-31"
    return expert(
        availability=[{"start": f"{year}-01-01", "end": f"{year}-12-31"}],
        screening_valid_until=valid,
        credentials=credentials(*HELD, expires_on=valid),
        **overrides,
    )


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
        "credentials": credentials("HR-SCREENING", *HELD),
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


def stored_plan(
    engine, pairs: list[tuple[dict, int]], parameters: dict | None = None
) -> tuple[int, list[PlanAssignment]]:
    """A succeeded plan proposing each expert id for seat 1 of its position (as the API returned it)."""
    with Session(engine, expire_on_commit=False) as session:
        plan = Plan(status=PlanStatus.succeeded, created_by="test", parameters=parameters or {})
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


def call(engine, request_id: int, position_ids: list[int], *, status: str = CallStatus.open) -> int:
    """A call for nominations over these positions of a request, as HQ would open it (rows, no API); its id."""
    status = CallStatus(status)
    with Session(engine) as session:
        closed = status != CallStatus.open
        made = NominationCall(
            request_id=request_id,
            deadline=date(2027, 1, 31),
            status=status,
            opened_by="test",
            closed_by="test" if closed else None,
            closed_at=utcnow() if closed else None,
        )
        session.add(made)
        session.flush()
        session.add_all([NominationCallPosition(call_id=made.id, position_id=p) for p in position_ids])
        session.commit()
        return made.id


def nominate(
    engine,
    call_id: int,
    position_id: int,
    *,
    expert: int | None = None,
    offer: int | None = None,
    results: dict[str, str] | None = None,
) -> int:
    """A live nomination of an expert or an offer by its state, with stage results {stage: passed|failed}; its id."""
    with Session(engine) as session:
        state = session.get(Expert, expert).state if expert else session.get(Offer, offer).state
        made = Nomination(
            call_id=call_id,
            position_id=position_id,
            state=state,
            expert_id=expert,
            offer_id=offer,
            supplier_key=f"E{expert}" if expert else f"O{offer}",
            created_by="test",
        )
        session.add(made)
        session.flush()
        session.commit()
        nomination_id = made.id
    for stage, result in (results or {}).items():
        stage_result(engine, nomination_id, stage, result)
    return nomination_id


def stage_result(engine, nomination_id: int, stage: str, result: str, *, later: bool = False) -> None:
    """HQ's record of a stage the nominee sat (``later``: a month after the first results, so it is the latest)."""
    with Session(engine) as session:
        session.add(
            NominationStageResult(
                nomination_id=nomination_id,
                stage=AssessmentStage(stage),
                result=AssessmentResult(result),
                assessed_on=date(2027, 1, 2) if later else date(2026, 12, 1),
                assessor="UN assessment team",
                recorded_by="test",
            )
        )
        session.commit()


def confirm(client, auth, deployment_id: int) -> dict:
    """The contributing state's consent, recorded by HQ: the deployment is planned."""
    made = client.post(f"/deployments/{deployment_id}/consent", json={"decision": "confirm"}, headers=auth("hq"))
    assert made.status_code == 200 and made.json()["status"] == "planned", made.text
    return made.json()
