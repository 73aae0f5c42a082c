"""Use cases of reference data: skills, missions and credential types added, missions and credential types
changed."""

from sqlmodel import Session

from schemas.roster import (
    CredentialTypeCreate,
    CredentialTypePublic,
    CredentialTypesPublic,
    CredentialTypeUpdate,
    MissionCreate,
    SkillCreate,
    SkillPublic,
)
from service.platform.errors import Conflict, Invalid, not_found
from service.platform.tables import CredentialType, Mission, Skill
from service.platform.unit import Unit
from service.platform.usecase import use_case
from service.reference import credentials
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


def _type_public(row: CredentialType) -> CredentialTypePublic:
    return CredentialTypePublic.model_validate(row.model_dump())


def credential_types(session: Session, *, active: bool | None = None) -> CredentialTypesPublic:
    """The credential types, by code (``active``: only those in use, or only the retired)."""
    data = [_type_public(t) for t in credentials.types(session, active)]
    return CredentialTypesPublic(data=data, count=len(data))


@use_case
def create_credential_type(unit: Unit, *, body: CredentialTypeCreate) -> CredentialTypePublic:
    """Add a credential type; positions created from now on require it if their category is in ``default_for``."""
    if credentials.get_type(unit.session, body.code) is not None:
        raise Conflict(f"credential type {body.code} already exists: change it with PATCH")
    row = CredentialType(**body.model_dump(mode="json"))
    repo.add(unit.session, row)
    unit.audit("create", "credential_type", body.code, after=body)
    unit.commit(None)
    return _type_public(row)


@use_case
def update_credential_type(unit: Unit, *, code: str, body: CredentialTypeUpdate) -> CredentialTypePublic:
    """Rename, describe, change the validity or the defaults of a credential type, or retire it (``active``:
    false); credentials held and positions requiring it are kept."""
    row = credentials.get_type(unit.session, code)
    if row is None:
        raise not_found("credential type", code)
    changes = body.model_dump(mode="json", exclude_unset=True)
    for name, value in changes.items():
        if value is None and name != "validity_months":
            raise Invalid(name, f"{name} cannot be null: leave it out to keep the current value")
    before = _type_public(row)
    row.sqlmodel_update(changes)
    repo.add(unit.session, row)
    after = _type_public(row)
    unit.audit("update", "credential_type", code, before=before, after=after)
    unit.commit(None)
    return after
