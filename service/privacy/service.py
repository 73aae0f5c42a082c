"""Use cases of erasure: an admin erases one person at once; the owning Member State asks, and when the expert
was ever deployed HQ (or an admin) approves or declines first."""

from sqlmodel import Session

from schemas.enums import Role
from schemas.ids import SupplierId
from service.platform import hooks, locks
from service.platform.auth import Principal
from service.platform.errors import Conflict, Forbidden
from service.platform.tables import Erasure, utcnow
from service.platform.unit import Unit
from service.platform.usecase import use_case
from service.privacy import repository as repo
from service.privacy.erasure import erase, pseudonym_of
from service.privacy.schemas import ErasureCreate, ErasureDecision, ErasurePublic, ErasuresPublic
from service.roster import repository as roster


@use_case
def request_erasure(unit: Unit, *, body: ErasureCreate) -> ErasurePublic:
    """Erase an expert (admin), or ask to (their Member State: waits for HQ when they were ever deployed)."""
    principal = unit.principal
    if principal.role not in (Role.admin, Role.member_state):
        raise Forbidden("an admin erases an expert, and the owning Member State asks to; HQ approves its requests")
    locks.lock_suppliers(unit.session, [str(SupplierId(expert=body.expert_id))])
    expert = roster.get_visible(unit.session, principal, body.expert_id)
    repo.lock_expert(unit.session, body.expert_id)
    _check_not_open(unit.session, body.expert_id)
    waits = principal.role == Role.member_state and repo.was_deployed(unit.session, body.expert_id)
    erasure = repo.add(
        unit.session,
        Erasure(
            expert_id=body.expert_id,
            state=expert.state,
            reason=body.reason,
            status="pending",
            requested_by=principal.name,
        ),
    )
    unit.audit("request", "erasure", erasure.id, after=repo.to_public(erasure))
    if waits:
        return unit.commit(repo.to_public(erasure), status=202)
    return unit.commit(_carry_out(unit, erasure, note=""), status=201)


@use_case
def approve_erasure(unit: Unit, *, erasure_id: int, body: ErasureDecision) -> ErasurePublic:
    """Approve a Member State's pending request: the expert is erased now."""
    erasure = _pending(unit, erasure_id)
    return unit.commit(_carry_out(unit, erasure, note=body.note))


@use_case
def decline_erasure(unit: Unit, *, erasure_id: int, body: ErasureDecision) -> ErasurePublic:
    """Decline a Member State's pending request (say why in the note); the expert stays as they are."""
    erasure = _pending(unit, erasure_id)
    erasure.status, erasure.decided_by, erasure.decided_at = "declined", unit.principal.name, utcnow()
    erasure.decision_note = body.note
    unit.session.add(erasure)
    unit.session.flush()
    public = repo.to_public(erasure)
    unit.audit("decline", "erasure", erasure.id, after=public)
    return unit.commit(public)


def list_erasures(
    session: Session, principal: Principal, *, status: str | None, limit: int, offset: int
) -> ErasuresPublic:
    """Erasures, newest first; a Member State sees its own experts' only."""
    rows, count = repo.erasures(session, principal, status, limit, offset)
    return ErasuresPublic(data=[repo.to_public(r) for r in rows], count=count)


def get_erasure(session: Session, principal: Principal, *, erasure_id: int) -> ErasurePublic:
    """One erasure, scoped as the list."""
    return repo.to_public(repo.get_visible(session, principal, erasure_id))


def _check_not_open(session: Session, expert_id: int) -> None:
    found = repo.open_erasure(session, expert_id)
    if found is None:
        return
    if found.status == "done":
        raise Conflict(f"expert {expert_id} was erased already (erasure {found.id}): nothing is left to erase")
    raise Conflict(f"expert {expert_id} has a request waiting for HQ's approval: erasure {found.id}")


def _pending(unit: Unit, erasure_id: int) -> Erasure:
    erasure = repo.get_visible(unit.session, unit.principal, erasure_id)
    locks.lock_suppliers(unit.session, [str(SupplierId(expert=erasure.expert_id))])
    erasure = repo.get_visible(unit.session, unit.principal, erasure_id, lock=True)
    if erasure.status != "pending":
        raise Conflict(f"erasure {erasure_id} is {erasure.status}, not pending: only a pending request is decided")
    return erasure


def _carry_out(unit: Unit, erasure: Erasure, *, note: str) -> ErasurePublic:
    """Erase the expert, mark the request done and audit it (no personal data in the entry); the answer."""
    expert_id, erasure_id = erasure.expert_id, erasure.id
    was_active = roster.get_visible(unit.session, unit.principal, expert_id).active
    pseudonym = pseudonym_of(expert_id)
    erasure.status, erasure.pseudonym, erasure.decision_note = "done", pseudonym, note
    erasure.decided_by, erasure.decided_at = unit.principal.name, utcnow()
    unit.session.add(erasure)
    changed = erase(unit.session, expert_id, pseudonym=pseudonym)
    unit.audit("erase", "expert", expert_id, after={"erasure": erasure_id, "pseudonym": pseudonym, "rows": changed})
    if was_active:  # off the roster now: its live deployments are rechecked as for a deactivation
        hooks.announce(unit, experts=[expert_id])
    return repo.to_public(repo.get_visible(unit.session, unit.principal, erasure_id))
