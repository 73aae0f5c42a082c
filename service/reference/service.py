"""Use cases of reference data: skills and missions added, missions changed."""

from schemas.roster import MissionCreate, SkillCreate, SkillPublic
from service.platform.errors import Conflict, not_found
from service.platform.tables import Mission, Skill
from service.platform.unit import Unit
from service.platform.usecase import use_case
from service.reference import repository as repo


@use_case
def create_skill(unit: Unit, *, body: SkillCreate) -> SkillPublic:
    """Add a skill to the taxonomy."""
    if repo.get_skill(unit.session, body.code) is not None:
        raise Conflict(f"skill {body.code} already exists")
    skill = Skill(**body.model_dump())
    repo.add(unit.session, skill)
    unit.audit("create", "skill", body.code, after=body)
    unit.commit(None)
    return SkillPublic.model_validate(skill.model_dump())


@use_case
def create_mission(unit: Unit, *, body: MissionCreate) -> dict:
    """Add a mission; its host states must exist."""
    if repo.get_mission(unit.session, body.code) is not None:
        raise Conflict(f"mission {body.code} already exists")
    repo.check_states(unit.session, "host_states", body.host_states)
    mission = Mission(**body.model_dump())
    repo.add(unit.session, mission)
    unit.audit("create", "mission", body.code, after=body)
    unit.commit(None)
    return mission.model_dump()


@use_case
def update_mission(unit: Unit, *, code: str, changes: dict) -> dict:
    """Rename a mission, change its host states, or close it."""
    mission = repo.get_mission(unit.session, code)
    if mission is None:
        raise not_found("mission", code)
    if "host_states" in changes:
        repo.check_states(unit.session, "host_states", changes["host_states"])
    before = mission.model_dump()
    mission.sqlmodel_update(changes)
    repo.add(unit.session, mission)
    unit.audit("update", "mission", code, before=before, after=mission.model_dump())
    unit.commit(None)
    return mission.model_dump()
