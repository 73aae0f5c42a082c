"""The queries of the gap report: open seats, experts and their calendars, offers, skills and the latest plan."""

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import Row
from sqlmodel import Session, col, select

from schemas.enums import LIVE_DEPLOYMENT, SCREENING, Level, OfferStatus, PlanStatus
from service.platform.tables import (
    CapacityRequest,
    Credential,
    Deployment,
    Expert,
    ExpertLevel,
    ExpertSkill,
    ExpertWindow,
    Mission,
    Offer,
    Plan,
    PlanUnfilled,
    Position,
    Skill,
)
from service.requests.repository import OPEN_STATUSES

LIVE_DEPLOYMENTS = LIVE_DEPLOYMENT  # awaiting consent holds its seat, as planned does
OFFER_STATUSES = (OfferStatus.submitted, OfferStatus.accepted)


def _rows(session: Session, statement) -> Sequence[Row[*tuple[Any, ...]]]:
    """Plain tuples, without the ORM's row processing: these queries return tens of thousands of rows."""
    return session.connection().execute(statement).all()


def open_seats(session: Session, first: date, last: date, mission: str | None):
    """(id, level, request level, required skills, count, filled, start, end) of positions with open seats."""
    statement = (
        select(
            Position.id,
            Position.level,
            CapacityRequest.level,
            Position.required_skills,
            Position.count,
            Position.filled,
            Position.start_date,
            Position.end_date,
        )
        .join(CapacityRequest, CapacityRequest.id == Position.request_id)
        .where(
            CapacityRequest.status.in_(OPEN_STATUSES),
            Position.count > Position.filled,
            Position.start_date <= last,
            Position.end_date >= first,
        )
    )
    if mission:
        statement = statement.where(CapacityRequest.mission == mission)
    return session.exec(statement)


def expert_skills_and_levels(
    session: Session, first: date, skill: str | None, level: Level | None
) -> tuple[Sequence[Row[int, str, int]], Sequence[Row[int, Level, date]]]:
    """(expert, code, proficiency) and (expert, level, screened until) of active experts screened to ``first``."""
    screened = (Credential.expert_id == Expert.id) & (Credential.code == SCREENING)
    eligible = [Expert.active.is_(True), col(Credential.expires_on) >= first]
    skills = (
        select(ExpertSkill.expert_id, ExpertSkill.code, ExpertSkill.proficiency)
        .join(Expert, Expert.id == ExpertSkill.expert_id)
        .join(Credential, screened)
        .where(*eligible)
    )
    levels = (
        select(ExpertLevel.expert_id, ExpertLevel.level, col(Credential.expires_on))
        .join(Expert, Expert.id == ExpertLevel.expert_id)
        .join(Credential, screened)
        .where(*eligible)
    )
    if skill:
        skills = skills.where(ExpertSkill.code == skill)
    if level:
        levels = levels.where(ExpertLevel.level == level)
    return _rows(session, skills), _rows(session, levels)


def windows(session: Session) -> Sequence[Row[int, str, date, date]]:
    """(expert, kind, start, end) of every availability and leave window."""
    return _rows(session, select(ExpertWindow.expert_id, ExpertWindow.kind, ExpertWindow.start, ExpertWindow.end))


def live_deployments(session: Session, first: date, last: date) -> Sequence[Row[int, date, date]]:
    """(expert, start, end) of live deployments of experts overlapping [first, last]."""
    return _rows(
        session,
        select(Deployment.expert_id, Deployment.start_date, Deployment.end_date).where(
            Deployment.expert_id.is_not(None),
            Deployment.status.in_(LIVE_DEPLOYMENTS),
            Deployment.start_date <= last,
            Deployment.end_date >= first,
        ),
    )


def open_offers(session: Session, first: date, last: date):
    """(skills, levels, slots, used, from, to, expires) of submitted or accepted offers with free slots in range."""
    return session.exec(
        select(
            Offer.skills,
            Offer.levels,
            Offer.slots,
            Offer.slots_used,
            Offer.available_from,
            Offer.available_to,
            Offer.expires_on,
        ).where(
            Offer.status.in_(OFFER_STATUSES),
            Offer.expires_on >= first,
            Offer.slots > Offer.slots_used,
            Offer.available_from <= last,
            Offer.available_to >= first,
        )
    )


def skill_names(session: Session) -> dict[str, tuple[str, str]]:
    return {code: (name, area) for code, name, area in session.exec(select(Skill.code, Skill.name, Skill.area))}


def latest_plan(session: Session):
    """(id, finished at) of the newest succeeded plan, or None."""
    return session.exec(
        select(Plan.id, Plan.finished_at)
        .where(Plan.status == PlanStatus.succeeded)
        .order_by(Plan.finished_at.desc().nulls_last(), Plan.id.desc())
        .limit(1)
    ).first()


def plan_instance(session: Session, plan_id: int) -> str | None:
    """The solver instance a plan was made from, as JSON."""
    return session.exec(select(Plan.instance).where(Plan.id == plan_id)).first()


def unfilled_seats(session: Session, plan_id: int, mission: str | None, open_only: bool):
    """The plan's empty seats with their position's request, level, skills and dates."""
    statement = (
        select(
            PlanUnfilled.position_id,
            Position.request_id,
            Position.title,
            CapacityRequest.mission,
            PlanUnfilled.seat,
            PlanUnfilled.reason,
            PlanUnfilled.detail,
            Position.level,
            CapacityRequest.level,
            Position.required_skills,
            Position.start_date,
            Position.end_date,
        )
        .join(Position, Position.id == PlanUnfilled.position_id)
        .join(CapacityRequest, CapacityRequest.id == Position.request_id)
        .where(PlanUnfilled.plan_id == plan_id)
        .order_by(PlanUnfilled.position_id, PlanUnfilled.seat)
    )
    if mission:
        statement = statement.where(CapacityRequest.mission == mission)
    if open_only:
        statement = statement.where(CapacityRequest.status.in_(OPEN_STATUSES))
    return session.exec(statement)


def positions_with_requests(session: Session, ids: set[int]) -> list:
    """(position, request) pairs of the positions ``ids``."""
    return list(session.exec(select(Position, CapacityRequest).join(CapacityRequest).where(Position.id.in_(ids))).all())


def mission_codes(session: Session) -> list[str]:
    return list(session.exec(select(Mission.code).order_by(Mission.code)).all())
