"""Load reference data and the demo roster; safe to run any number of times."""

from dataclasses import dataclass
from datetime import date, timedelta

from sqlmodel import Session, select

from schemas.enums import AssessmentResult, AssessmentStage, Category, Level, Readiness, RequestStatus, Role
from seed_data.credentials import TYPES as CREDENTIAL_TYPES
from seed_data.reference import load_member_states, load_missions, load_skills
from service.platform.auth import Principal
from service.platform.tables import (
    CapacityRequest,
    CredentialType,
    Expert,
    MemberState,
    Mission,
    NominationCall,
    NominationCallPosition,
    Offer,
    OfferAssessment,
    Position,
    Skill,
)
from service.reference import credentials
from service.requests import repository as request_repo
from service.roster import repository as expert_repo

SEEDER = Principal(token_id=0, name="demo data", role=Role.admin)


@dataclass
class Counts:
    added: int = 0
    updated: int = 0

    def __str__(self) -> str:
        return f"{self.added} added, {self.updated} updated"


def _upsert(session: Session, model, key: str, rows: list[dict], update: bool = True) -> Counts:
    """Rows inserted when missing, and brought up to date unless ``update`` is off (what an admin edits)."""
    counts = Counts()
    existing = {getattr(r, key): r for r in session.exec(select(model)).all()}
    for row in rows:
        current = existing.get(row[key])
        if current is None:
            session.add(model(**row))
            counts.added += 1
        elif update and {k: getattr(current, k) for k in row} != row:
            current.sqlmodel_update(row)
            session.add(current)
            counts.updated += 1
    return counts


def seed_reference(session: Session) -> dict[str, Counts]:
    """Member States, the skills taxonomy and missions, inserted or brought up to date."""
    result = {
        "member states": _upsert(session, MemberState, "iso3", [s.model_dump() for s in load_member_states()]),
        "skills": _upsert(session, Skill, "code", [s.model_dump(mode="json") for s in load_skills()]),
        "credential types": _upsert(
            session, CredentialType, "code", [t.model_dump(mode="json") for t in CREDENTIAL_TYPES], update=False
        ),
    }
    session.flush()
    result["missions"] = _upsert(session, Mission, "code", [m.model_dump() for m in load_missions()])
    session.commit()
    return result


def _is_new(seen: set, key) -> bool:
    """True the first time a natural key is met, in the database or earlier in this batch."""
    if key in seen:
        return False
    seen.add(key)
    return True


def _visits(offers: list[Offer]) -> list[OfferAssessment]:
    """The passed assessment visit behind each demo offer above `pledged` (HQ records them in real life)."""
    return [
        OfferAssessment(
            offer_id=o.id,
            visited_on=o.created_at.date() - timedelta(days=30),
            team="UN assessment and advisory visit (demo)",
            result=AssessmentResult.passed,
            recorded_by="demo data",
        )
        for o in offers
        if o.readiness != Readiness.pledged
    ]


def seed_demo(
    session: Session, *, experts: int = 400, offers: int = 40, requests: int = 30, seed: int = 2027
) -> dict[str, Counts]:
    """The deterministic demo roster; rows already present (same natural key) are left alone."""
    from seed_data.demo import generate

    demo = generate(experts=experts, offers=offers, requests=requests, seed=seed)
    emails = set(session.exec(select(Expert.email)).all())
    offer_keys = set(session.exec(select(Offer.state, Offer.title)).all())
    request_keys = set(session.exec(select(CapacityRequest.mission, CapacityRequest.title)).all())
    result = {"experts": Counts(), "offers": Counts(), "requests": Counts()}
    for expert in demo.experts:
        if _is_new(emails, expert.email):
            session.add(expert_repo.build(expert, expert.state, SEEDER))
            result["experts"].added += 1
    added = []
    for offer in demo.offers:
        if _is_new(offer_keys, (offer.state, offer.title)):
            row = Offer(**offer.model_dump(exclude={"state", "credentials"}), state=offer.state)
            row.credentials = credentials.rows(offer.credentials, SEEDER)
            added.append(row)
            result["offers"].added += 1
    session.add_all(added)
    session.flush()
    session.add_all(_visits(added))
    for data in demo.requests:
        if _is_new(request_keys, (data.mission, data.title)):
            status = data.status or RequestStatus.submitted
            request = CapacityRequest(**data.model_dump(exclude={"positions", "status"}), status=status)
            request.positions = [request_repo.new_position(session, request, p) for p in data.positions]
            session.add(request)
            result["requests"].added += 1
    session.commit()
    return result


DEMO_ASK = "Community policing for the 2028 elections"
DEMO_CALL = "Demo call: nominate police advisers by the deadline"


def seed_process_demo(session: Session, *, today: date | None = None) -> dict[str, Counts]:
    """What Member States find on their pages in the demo: a state's own request awaiting HQ (Sierra Leone, outside
    any mission) and an open call for nominations on the lowest-priority demo request, its positions asking for an
    interview. Left alone once there."""
    today = today or date.today()
    result = {"state requests": Counts(), "calls": Counts()}
    if session.exec(select(CapacityRequest.id).where(CapacityRequest.title == DEMO_ASK)).first() is None:
        session.add(_demo_ask(session))
        result["state requests"].added += 1
    if session.exec(select(NominationCall.id).where(NominationCall.note == DEMO_CALL)).first() is None:
        result["calls"].added += _demo_call(session, today)
    session.commit()
    return result


def _demo_ask(session: Session) -> CapacityRequest:
    request = CapacityRequest(
        mission=None,
        title=DEMO_ASK,
        description="Advice to the national police on community policing before the elections (demo).",
        level=Level.operational,
        priority=3,
        status=RequestStatus.proposed,
        requested_by_state="SLE",
        requested_by="Permanent Mission of Sierra Leone (demo)",
    )
    adviser = {
        "title": "Community policing adviser",
        "level": Level.operational,
        "category": Category.police,
        "start_date": date(2027, 6, 1),
        "end_date": date(2027, 12, 31),
        "count": 2,
        "required_skills": [{"code": "POLICE-MIL-ROLES", "min_proficiency": 3}],
        "languages": [{"code": "en", "min_level": 4}],
        "required_credentials": credentials.defaults_for(session, Category.police),
    }
    request.positions = [Position(**adviser)]  # its request_id is set on flush
    return request


def _demo_call(session: Session, today: date) -> int:
    """The call on the last demo request still open to planning; 0 when there is none."""
    open_ = (RequestStatus.submitted, RequestStatus.planning)
    statement = select(CapacityRequest).where(CapacityRequest.status.in_(open_))
    request = session.exec(statement.order_by(CapacityRequest.priority.desc(), CapacityRequest.id.desc())).first()
    if request is None or not request.positions:
        return 0
    call = NominationCall(
        request_id=request.id, deadline=today + timedelta(days=21), note=DEMO_CALL, opened_by="demo data"
    )
    session.add(call)
    session.flush()
    for position in request.positions:
        position.assessment_stages = [AssessmentStage.interview]
        session.add(position)
        session.add(NominationCallPosition(call_id=call.id, position_id=position.id))
    return 1
