"""Use cases of the roster: experts nominated, changed and removed."""

from sqlmodel import Session

from schemas.roster import (
    DuplicateExpert,
    DuplicateGroup,
    DuplicatesPublic,
    ExpertCreate,
    ExpertPublic,
    ExpertUpdate,
)
from service.platform.etags import check_if_match
from service.platform.unit import Unit
from service.platform.usecase import use_case
from service.roster import repository as repo


@use_case
def create_expert(unit: Unit, *, body: ExpertCreate) -> ExpertPublic:
    """Add an expert to the roster (Member States nominate their own)."""
    expert = repo.create(unit.session, unit.principal, body)
    public = repo.to_public(expert)
    unit.audit("create", "expert", expert.id, after=public)
    return unit.commit(public, status=201)


@use_case
def update_expert(unit: Unit, *, expert_id: int, body: ExpertUpdate, if_match: str | None) -> ExpertPublic:
    """Change some fields of an expert unless If-Match is stale (412)."""
    expert = repo.get_visible(unit.session, unit.principal, expert_id)
    return unit.update(
        expert,
        entity="expert",
        if_match=if_match,
        public=repo.to_public,
        change=lambda: repo.update(unit.session, expert, body),
    )


@use_case
def delete_expert(unit: Unit, *, expert_id: int, if_match: str | None) -> None:
    """Remove an expert never deployed; the audit log keeps the last record."""
    expert = repo.get_visible(unit.session, unit.principal, expert_id)
    check_if_match(if_match, expert.version)
    repo.check_deletable(unit.session, expert)
    unit.audit("delete", "expert", expert.id, before=repo.to_public(expert))
    repo.delete(unit.session, expert)
    unit.commit(None)


def duplicates(session: Session) -> DuplicatesPublic:
    """Experts of different owners sharing an e-mail or a national id, for HQ to resolve."""
    groups = [
        DuplicateGroup(shared=shared, experts=[DuplicateExpert.model_validate(e, from_attributes=True) for e in found])
        for shared, found in repo.duplicates(session)
    ]
    return DuplicatesPublic(data=groups, count=len(groups))
