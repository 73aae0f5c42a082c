"""Use cases of the roster: experts nominated, changed and deactivated."""

from sqlalchemy import Engine
from sqlmodel import Session

from schemas.ids import SupplierId
from schemas.roster import (
    DuplicateExpert,
    DuplicateGroup,
    DuplicatesPublic,
    ExpertCreate,
    ExpertPublic,
    ExpertUpdate,
)
from service.platform import hooks, locks
from service.platform.auth import Principal
from service.platform.etags import check_if_match
from service.platform.personal import record_view, record_views, redact_expert
from service.platform.unit import Unit
from service.platform.usecase import use_case
from service.roster import repository as repo


@use_case
def create_expert(unit: Unit, *, body: ExpertCreate) -> ExpertPublic:
    """Add an expert to the roster (Member States nominate their own)."""
    expert = repo.create(unit.session, unit.principal, body)
    public = repo.to_public(expert)
    unit.audit("create", "expert", expert.id, after=public)
    return unit.commit(_shown(unit, public), status=201)


@use_case
def update_expert(unit: Unit, *, expert_id: int, body: ExpertUpdate, if_match: str | None) -> ExpertPublic:
    """Change some fields of an expert unless If-Match is stale (412); live deployments it breaks are flagged."""
    locks.lock_suppliers(unit.session, [str(SupplierId(expert=expert_id))])
    expert = repo.get_visible(unit.session, unit.principal, expert_id)

    def change() -> None:
        repo.update(unit.session, unit.principal, expert, body)
        hooks.announce(unit, experts=[expert_id])

    return unit.update(
        expert,
        entity="expert",
        if_match=if_match,
        public=repo.to_public,
        change=change,
        shown=lambda after: _shown(unit, after),
    )


def expert_shown(session: Session, *, principal: Principal, expert_id: int) -> ExpertPublic:
    """One expert as the principal may see it (a page's form); a national id shown is audited."""
    shown = redact_expert(repo.to_public(repo.get_visible(session, principal, expert_id)), principal)
    record_views(session, principal, [shown])
    session.commit()
    return shown


def _shown(unit: Unit, public: ExpertPublic) -> ExpertPublic:
    """The answer as the caller may see it; a national id it shows is audited in the same transaction."""
    shown = redact_expert(public, unit.principal)
    record_views(unit.session, unit.principal, [shown])
    return shown


@use_case
def delete_expert(unit: Unit, *, expert_id: int, if_match: str | None) -> None:
    """Deactivate an expert (the row, its history and the plans naming it stay); live deployments become at risk."""
    locks.lock_suppliers(unit.session, [str(SupplierId(expert=expert_id))])
    expert = repo.get_visible(unit.session, unit.principal, expert_id)
    check_if_match(if_match, expert.version)
    if expert.active:
        before = repo.to_public(expert)
        repo.deactivate(unit.session, expert)
        unit.audit("deactivate", "expert", expert.id, before=before, after=repo.to_public(expert))
        hooks.announce(unit, experts=[expert_id])
    unit.commit(None)


def duplicates(session: Session, *, principal: Principal) -> DuplicatesPublic:
    """Experts of different owners sharing an e-mail or a national id, for HQ to resolve (HQ learns that a national
    id is shared, not the id); the national ids shown are audited."""
    groups = [
        DuplicateGroup(
            shared=shared,
            experts=[redact_expert(DuplicateExpert.model_validate(e, from_attributes=True), principal) for e in found],
        )
        for shared, found in repo.duplicates(session)
    ]
    if record_views(session, principal, {e.id: e for g in groups for e in g.experts}.values()):
        session.commit()
    return DuplicatesPublic(data=groups, count=len(groups))


def audit_view(engine: Engine, principal: Principal, expert_id: int) -> None:
    """Record that ``principal`` was shown this expert's national id (its own transaction: a read's)."""
    with Session(engine) as session:
        record_view(session, principal, [expert_id], ["national_id"])
        session.commit()
