"""A Member State's consent to a selection: confirm (→ planned) or decline (→ declined: the seat and the time
are free again, the pair is never proposed again, a re-solve of the seat is suggested); the deadline declines.

Each decision takes the request's and the supplier's locks (the order every writer takes them in) and then
the deployment's row, and decides only while the row is still awaiting consent: of two answers at once, the
second sees the first committed and is refused (409).
"""

from datetime import date

from sqlmodel import Session, col, select

from schemas.enums import DeploymentStatus
from schemas.ids import SupplierId
from service.deployments import repository as repo
from service.notifications.outbox import emit
from service.platform import locks
from service.platform.errors import Conflict
from service.platform.tables import CapacityRequest, Deployment, ForbiddenPair, MemberState, Position, utcnow

DEADLINE_NOTE = "consent deadline passed"
SYSTEM = "system"


def lock(session: Session, deployment: Deployment) -> Deployment:
    """The deployment read again under its request's and supplier's locks and its row lock (PostgreSQL)."""
    locks.lock_requests(session, [deployment.request_id])
    locks.lock_suppliers(session, [str(SupplierId.of(deployment.expert_id, deployment.offer_id))])
    statement = select(Deployment).where(Deployment.id == deployment.id).with_for_update()
    return session.exec(statement.execution_options(populate_existing=True)).one()


def refuse_unless_awaiting(deployment: Deployment) -> None:
    if deployment.status != DeploymentStatus.awaiting_consent:
        raise Conflict(
            f"deployment {deployment.id} is {deployment.status}, not awaiting consent: it was already decided "
            "(GET it to see by whom and when)"
        )


def decide(session: Session, deployment: Deployment, *, confirm: bool, note: str, by: str) -> None:
    """Record the state's answer on a deployment locked by ``lock`` and still awaiting consent."""
    refuse_unless_awaiting(deployment)
    deployment.consent_decided_at = utcnow()
    deployment.consent_decided_by = by
    deployment.consent_note = note or None
    repo.transition(session, deployment, DeploymentStatus.planned if confirm else DeploymentStatus.declined)
    if confirm:
        _announce(session, deployment, "deployment.confirmed", {})
        return
    supplier = str(SupplierId.of(deployment.expert_id, deployment.offer_id))  # as a planner's reject keys it
    pair = session.exec(
        select(ForbiddenPair).where(
            ForbiddenPair.position_id == deployment.position_id, ForbiddenPair.supplier == supplier
        )
    ).first()
    if pair is None:
        session.add(
            ForbiddenPair(
                position_id=deployment.position_id, supplier=supplier, plan_id=deployment.plan_id, created_by=by
            )
        )
    _announce(session, deployment, "deployment.declined", _suggestion(session, deployment))


def _suggestion(session: Session, d: Deployment) -> dict:
    position = session.get(Position, d.position_id)
    suggestion: dict = {"plan_id": d.plan_id, "suggestion": "re-solve"}
    suggestion["resolve_path"] = f"/plans/{d.plan_id}/resolve" if d.plan_id is not None else None
    return suggestion | {"position_title": position.title if position else None}


def _announce(session: Session, d: Deployment, kind: str, extra: dict) -> None:
    payload = {
        "deployment_id": d.id,
        "plan_id": d.plan_id,
        "position_id": d.position_id,
        "seat": d.seat,
        "mission": d.mission,
        "state": d.contributing_state,
        "supplier": d.supplier_key,
        "decided_by": d.consent_decided_by,
        "reason": d.consent_note,
    }
    emit(session, kind, state=d.contributing_state, entity="deployment", entity_id=d.id, payload=payload | extra)


def overdue(session: Session, today: date) -> list[int]:
    """The deployments still awaiting consent whose due day has passed, oldest first."""
    return list(
        session.exec(
            select(Deployment.id)
            .where(Deployment.status == DeploymentStatus.awaiting_consent, col(Deployment.consent_due_on) < today)
            .order_by(Deployment.consent_due_on, Deployment.id)
        ).all()
    )


def awaiting(session: Session, state: str | None) -> list[Deployment]:
    """The selections awaiting a state's consent (every state's for None), soonest due first."""
    statement = select(Deployment).where(Deployment.status == DeploymentStatus.awaiting_consent)
    if state is not None:
        statement = statement.where(Deployment.contributing_state == state)
    return list(session.exec(statement.order_by(Deployment.consent_due_on, Deployment.id)).all())


def declined_in_plan(session: Session, plan_id: int) -> list[Deployment]:
    """The plan's deployments a state declined (or let lapse), whose seats a re-solve may fill again."""
    return list(
        session.exec(
            select(Deployment)
            .where(Deployment.plan_id == plan_id, Deployment.status == DeploymentStatus.declined)
            .order_by(Deployment.id)
        ).all()
    )


def due_dates(session: Session, ids: set[int]) -> dict[int, date]:
    """The due day of each of these deployments that still awaits consent, by id."""
    rows = session.exec(
        select(col(Deployment.id), col(Deployment.consent_due_on)).where(
            col(Deployment.id).in_(ids), Deployment.status == DeploymentStatus.awaiting_consent
        )
    ).all()
    return {i: due for i, due in rows if i is not None and due is not None}


def position_titles(session: Session, ids: set[int]) -> dict[int, str]:
    rows = session.exec(select(Position.id, Position.title).where(col(Position.id).in_(ids))).all()
    return {i: title for i, title in rows if i is not None}


def request_titles(session: Session, ids: set[int]) -> dict[int, str]:
    rows = session.exec(select(CapacityRequest.id, CapacityRequest.title).where(col(CapacityRequest.id).in_(ids)))
    return {i: title for i, title in rows.all() if i is not None}


def state_names(session: Session, codes: set[str]) -> dict[str, str]:
    return dict(session.exec(select(MemberState.iso3, MemberState.name).where(col(MemberState.iso3).in_(codes))).all())
