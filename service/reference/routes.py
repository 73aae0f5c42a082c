"""Routes: reference data (skills taxonomy, Member States, missions)."""

from fastapi import APIRouter, Response, status
from pydantic import BaseModel, ConfigDict
from sqlmodel import select

from schemas.enums import Level
from schemas.roster import (
    MemberStatesPublic,
    MissionCreate,
    MissionPublic,
    MissionsPublic,
    SkillCreate,
    SkillPublic,
    SkillsPublic,
)
from service.platform import audit
from service.platform.deps import AdminUser, CurrentUser, SessionDep
from service.platform.errors import Conflict, not_found
from service.reference.repository import check_states
from service.platform.tables import MemberState, Mission, Skill

router = APIRouter(prefix="/reference", tags=["reference data"])


class MissionUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = None
    active: bool | None = None
    host_states: list[str] | None = None


@router.get("/skills", response_model=SkillsPublic)
def list_skills(session: SessionDep, _: CurrentUser, level: Level | None = None, area: str | None = None):
    """The skills taxonomy, drawn from the source documents."""
    rows = session.exec(select(Skill).order_by(Skill.code)).all()
    data = [SkillPublic.model_validate(s.model_dump()) for s in rows]
    data = [s for s in data if (level is None or level in s.levels) and (area is None or s.area == area)]
    return SkillsPublic(data=data, count=len(data))


@router.post("/skills", response_model=SkillPublic, status_code=status.HTTP_201_CREATED)
def create_skill(session: SessionDep, principal: AdminUser, body: SkillCreate):
    """Add a skill to the taxonomy."""
    if session.get(Skill, body.code) is not None:
        raise Conflict(f"skill {body.code} already exists")
    skill = Skill(**body.model_dump())
    session.add(skill)
    audit.record(session, principal, "create", "skill", body.code, after=body)
    session.commit()
    return SkillPublic.model_validate(skill.model_dump())


@router.get("/member-states", response_model=MemberStatesPublic)
def list_member_states(session: SessionDep, _: CurrentUser):
    """The 193 UN Member States with ISO 3166-1 alpha-3 codes."""
    rows = session.exec(select(MemberState).order_by(MemberState.name)).all()
    return MemberStatesPublic(data=[r.model_dump() for r in rows], count=len(rows))


@router.get("/missions", response_model=MissionsPublic)
def list_missions(session: SessionDep, _: CurrentUser, active: bool | None = None):
    """Peace operations with their host states."""
    statement = select(Mission).order_by(Mission.code)
    if active is not None:
        statement = statement.where(Mission.active == active)
    rows = session.exec(statement).all()
    return MissionsPublic(data=[r.model_dump() for r in rows], count=len(rows))


@router.post("/missions", response_model=MissionPublic, status_code=status.HTTP_201_CREATED)
def create_mission(session: SessionDep, principal: AdminUser, body: MissionCreate):
    """Add a mission."""
    if session.get(Mission, body.code) is not None:
        raise Conflict(f"mission {body.code} already exists")
    check_states(session, "host_states", body.host_states)
    mission = Mission(**body.model_dump())
    session.add(mission)
    audit.record(session, principal, "create", "mission", body.code, after=body)
    session.commit()
    return mission.model_dump()


@router.patch("/missions/{code}", response_model=MissionPublic)
def update_mission(session: SessionDep, principal: AdminUser, code: str, body: MissionUpdate, response: Response):
    """Rename a mission, change its host states, or close it."""
    mission = session.get(Mission, code)
    if mission is None:
        raise not_found("mission", code)
    changes = body.model_dump(exclude_unset=True, exclude_none=True)
    if "host_states" in changes:
        check_states(session, "host_states", changes["host_states"])
    before = mission.model_dump()
    mission.sqlmodel_update(changes)
    session.add(mission)
    audit.record(session, principal, "update", "mission", code, before=before, after=mission.model_dump())
    session.commit()
    return mission.model_dump()
