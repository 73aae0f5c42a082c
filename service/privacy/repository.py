"""Erasures: persistence and the Member State scope; the queries of the subject access export."""

from sqlmodel import Session, col, exists, select

from schemas.enums import Role
from service.platform.auth import Principal
from service.platform.queries import get_scoped, page
from service.platform.tables import (
    AuditEntry,
    Deployment,
    Erasure,
    Expert,
    Nomination,
    NominationStageResult,
    Plan,
    PlanAssignment,
)
from service.privacy.schemas import ErasurePublic


def scope(statement, principal: Principal):
    """Member States see the erasures of their own experts only."""
    if principal.role == Role.member_state:
        return statement.where(Erasure.state == principal.state)
    return statement


def get_visible(session: Session, principal: Principal, erasure_id: int, *, lock: bool = False) -> Erasure:
    """The erasure, or 404 alike for a missing id and another state's; ``lock``: until the transaction ends."""
    erasure = get_scoped(session, Erasure, erasure_id, principal, scope, "erasure")
    if lock:
        session.exec(select(Erasure.id).where(Erasure.id == erasure_id).with_for_update()).one()
        session.refresh(erasure)
    return erasure


def open_erasure(session: Session, expert_id: int) -> Erasure | None:
    """The expert's pending or done erasure, if any."""
    return session.exec(select(Erasure).where(Erasure.expert_id == expert_id, Erasure.status != "declined")).first()


def was_deployed(session: Session, expert_id: int) -> bool:
    """Whether the expert has any deployment, of any status."""
    return session.exec(select(exists().where(Deployment.expert_id == expert_id))).one()


def lock_expert(session: Session, expert_id: int) -> None:
    """The expert's row, locked until the transaction ends (two erasures of one expert take turns)."""
    session.exec(select(Expert.id).where(Expert.id == expert_id).with_for_update()).first()


def add(session: Session, erasure: Erasure) -> Erasure:
    session.add(erasure)
    session.flush()
    return erasure


def erasures(
    session: Session, principal: Principal, status: str | None, limit: int, offset: int
) -> tuple[list[Erasure], int]:
    conditions = [] if status is None else [col(Erasure.status) == status]
    return page(session, Erasure, principal, scope, conditions, (col(Erasure.id).desc(),), limit, offset)


def to_public(erasure: Erasure) -> ErasurePublic:
    return ErasurePublic.model_validate(erasure, from_attributes=True)


# --- Subject access: every row that names one expert, oldest first ---------------------------------------------------


def deployments_of(session: Session, expert_id: int) -> list[Deployment]:
    return list(session.exec(select(Deployment).where(Deployment.expert_id == expert_id).order_by(col(Deployment.id))))


def nominations_of(session: Session, expert_id: int) -> list[Nomination]:
    return list(session.exec(select(Nomination).where(Nomination.expert_id == expert_id).order_by(col(Nomination.id))))


def stage_results_of(session: Session, expert_id: int) -> list[NominationStageResult]:
    """The assessment stages the expert sat, through their nominations."""
    statement = (
        select(NominationStageResult)
        .join(Nomination, col(Nomination.id) == NominationStageResult.nomination_id)
        .where(Nomination.expert_id == expert_id)
        .order_by(col(NominationStageResult.id))
    )
    return list(session.exec(statement))


def assignments_of(session: Session, expert_id: int) -> list[tuple[PlanAssignment, Plan]]:
    """The plans' proposals that named the expert, each with its plan."""
    statement = (
        select(PlanAssignment, Plan)
        .join(Plan, col(Plan.id) == PlanAssignment.plan_id)
        .where(PlanAssignment.expert_id == expert_id)
        .order_by(col(PlanAssignment.plan_id), col(PlanAssignment.id))
    )
    return [(assignment, plan) for assignment, plan in session.exec(statement)]


def erasures_of(session: Session, expert_id: int) -> list[Erasure]:
    return list(session.exec(select(Erasure).where(Erasure.expert_id == expert_id).order_by(col(Erasure.id))))


def audit_of(session: Session, expert_id: int) -> list[AuditEntry]:
    """The audit trail's entries on the expert's record (changes, views of audited fields, exports)."""
    statement = (
        select(AuditEntry)
        .where(AuditEntry.entity == "expert", AuditEntry.entity_id == str(expert_id))
        .order_by(col(AuditEntry.id))
    )
    return list(session.exec(statement))
