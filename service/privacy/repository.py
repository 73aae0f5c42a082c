"""Erasures: persistence and the Member State scope."""

from sqlmodel import Session, col, exists, select

from schemas.enums import Role
from service.platform.auth import Principal
from service.platform.queries import get_scoped, page
from service.platform.tables import Deployment, Erasure, Expert
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
