"""Checks that a payload names reference data that exists (skills, states, missions)."""

from collections.abc import Iterable

from sqlmodel import Session, select

from service.errors import Invalid
from service.tables import MemberState, Mission, Skill


def _missing(session: Session, key, codes: Iterable[str]) -> list[str]:
    wanted = set(codes)
    if not wanted:
        return []
    found = set(session.exec(select(key).where(key.in_(wanted))).all())
    return sorted(wanted - found)


def check_skills(session: Session, field: str, codes: Iterable[str]) -> None:
    missing = _missing(session, Skill.code, codes)
    if missing:
        raise Invalid(field, f"unknown skill code(s) {', '.join(missing)}: see GET /reference/skills for valid codes")


def check_states(session: Session, field: str, codes: Iterable[str | None]) -> None:
    missing = _missing(session, MemberState.iso3, [c for c in codes if c])
    if missing:
        raise Invalid(
            field, f"unknown Member State code(s) {', '.join(missing)}: use ISO3 codes from GET /reference/member-states"
        )


def check_missions(session: Session, field: str, codes: Iterable[str]) -> None:
    missing = _missing(session, Mission.code, codes)
    if missing:
        raise Invalid(field, f"unknown mission code(s) {', '.join(missing)}: see GET /reference/missions")
