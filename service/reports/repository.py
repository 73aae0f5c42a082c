"""The queries of the gap report: open seats, skills, the latest plan and its empty seats."""

from datetime import date

from sqlmodel import Session, select

from schemas.enums import PlanStatus
from service.platform.readcache import ROSTER_VERSION
from service.platform.tables import (
    CapacityRequest,
    Mission,
    Plan,
    PlanUnfilled,
    Position,
    Skill,
)
from service.requests.repository import OPEN_STATUSES


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


def roster_version(session: Session) -> int:
    """The roster's version: it moves on with every change to experts, their skills, windows and credentials."""
    return session.exec(ROSTER_VERSION).one()


def plan(session: Session, plan_id: int) -> Plan | None:
    return session.get(Plan, plan_id)


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
            CapacityRequest.title,
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
