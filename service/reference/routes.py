"""Routes: reference data (skills taxonomy, Member States, missions, credential types)."""

from fastapi import APIRouter, Response, status
from pydantic import BaseModel, ConfigDict

from schemas.enums import Level
from schemas.roster import (
    CredentialTypeCreate,
    CredentialTypePublic,
    CredentialTypesPublic,
    CredentialTypeUpdate,
    MemberStatesPublic,
    MissionCreate,
    MissionPublic,
    MissionsPublic,
    SkillCreate,
    SkillPublic,
    SkillsPublic,
)
from service.platform.deps import AdminUser, CurrentUser, SessionDep
from service.platform.unit import Unit
from service.reference import repository as repo
from service.reference import service as reference_service

router = APIRouter(prefix="/reference", tags=["reference data"])


class MissionUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = None
    active: bool | None = None
    host_states: list[str] | None = None


@router.get("/skills", response_model=SkillsPublic)
def list_skills(session: SessionDep, _: CurrentUser, level: Level | None = None, area: str | None = None):
    """The skills taxonomy, drawn from the source documents."""
    data = [SkillPublic.model_validate(s.model_dump()) for s in repo.skills(session)]
    data = [s for s in data if (level is None or level in s.levels) and (area is None or s.area == area)]
    return SkillsPublic(data=data, count=len(data))


@router.post("/skills", response_model=SkillPublic, status_code=status.HTTP_201_CREATED)
def create_skill(session: SessionDep, principal: AdminUser, body: SkillCreate):
    """Add a skill to the taxonomy."""
    return reference_service.create_skill(Unit.of(session, principal), body=body)


@router.get("/member-states", response_model=MemberStatesPublic)
def list_member_states(session: SessionDep, _: CurrentUser):
    """The 193 UN Member States with ISO 3166-1 alpha-3 codes."""
    rows = repo.member_states(session)
    return MemberStatesPublic(data=[r.model_dump() for r in rows], count=len(rows))


@router.get("/missions", response_model=MissionsPublic)
def list_missions(session: SessionDep, _: CurrentUser, active: bool | None = None):
    """Peace operations with their host states."""
    rows = repo.missions(session, active)
    return MissionsPublic(data=[r.model_dump() for r in rows], count=len(rows))


@router.post("/missions", response_model=MissionPublic, status_code=status.HTTP_201_CREATED)
def create_mission(session: SessionDep, principal: AdminUser, body: MissionCreate):
    """Add a mission."""
    return reference_service.create_mission(Unit.of(session, principal), body=body)


@router.patch("/missions/{code}", response_model=MissionPublic)
def update_mission(session: SessionDep, principal: AdminUser, code: str, body: MissionUpdate, response: Response):
    """Rename a mission, change its host states, or close it."""
    changes = body.model_dump(exclude_unset=True, exclude_none=True)
    return reference_service.update_mission(Unit.of(session, principal), code=code, changes=changes)


@router.get("/credential-types", response_model=CredentialTypesPublic)
def list_credential_types(session: SessionDep, _: CurrentUser, active: bool | None = None):
    """The credential types experts hold and offers attest (human-rights screening, medical clearance, ...), each
    with its validity and the categories of position that require it by default."""
    return reference_service.credential_types(session, active=active)


@router.post("/credential-types", response_model=CredentialTypePublic, status_code=status.HTTP_201_CREATED)
def create_credential_type(session: SessionDep, principal: AdminUser, body: CredentialTypeCreate):
    """Add a credential type."""
    return reference_service.create_credential_type(Unit.of(session, principal), body=body)


@router.patch("/credential-types/{code}", response_model=CredentialTypePublic)
def update_credential_type(session: SessionDep, principal: AdminUser, code: str, body: CredentialTypeUpdate):
    """Rename or describe a credential type, change its validity or the categories that require it by default,
    or retire it (``active``: false): credentials held and positions that require it stay, and the solver still
    asks for it there; new credentials and positions cannot name it."""
    return reference_service.update_credential_type(Unit.of(session, principal), code=code, body=body)
