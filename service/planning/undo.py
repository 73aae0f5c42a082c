"""Undo a planner's decision: an approval while its deployment is still planned, a rejection, or a pin.

Undoing an approval cancels the deployment (as a planner's cancel does: the seat and the time are free,
the request's and the offer's fill follow, ``deployment.cancelled`` is emitted); undoing a rejection
removes the forbidden pair, so the solver may propose that supplier for that position again; undoing a pin
lets the next re-solve move that seat again. Either way the assignment is back to ``proposed``. Undo is
allowed on a superseded plan: the deployment it made is live whatever plan made it.
"""

from sqlmodel import Session

from schemas.enums import DeploymentStatus, ReviewStatus
from schemas.ids import SupplierId
from service.deployments import repository as deployments
from service.planning import repository as repo
from service.platform import audit
from service.platform.auth import Principal
from service.platform.errors import Conflict, Invalid
from service.platform.tables import Plan, PlanAssignment

ENDED = {
    DeploymentStatus.deployed: "is already deployed, and only a deployment not yet deployed can be undone; "
    "cancel or complete deployment {id} instead",
    DeploymentStatus.completed: "has ended (completed): there is nothing left to undo",
    DeploymentStatus.cancelled: "was already cancelled, which freed the seat: there is nothing left to undo; "
    "re-solve to fill the seat again",
    DeploymentStatus.declined: "was declined by its Member State, which freed the seat: there is nothing left to "
    "undo; re-solve to fill the seat again",
}
UNDOABLE = (DeploymentStatus.awaiting_consent, DeploymentStatus.planned)  # nobody has gone yet


def revert(session: Session, plan: Plan, ids: list[int], principal: Principal) -> tuple[list[int], list[int]]:
    """Undo these assignments' approvals, rejections or pins: the assignments undone and the deployments cancelled."""
    if not ids:
        return [], []
    rows = {a.id: a for a in repo.assignment_rows(session, plan, ids)}
    missing = sorted(set(ids) - rows.keys())
    if missing:
        raise Invalid(
            "undo", f"assignment(s) {missing} are not part of plan {plan.id}: see GET /plans/{plan.id}/assignments"
        )
    cancelled = []
    for aid in ids:
        a = rows[aid]
        before = _state(plan, a)
        if a.review == ReviewStatus.approved:
            cancelled.append(_unapprove(session, plan, a, principal))
        elif a.review == ReviewStatus.rejected:
            _unreject(session, a, principal)
        elif a.review != ReviewStatus.pinned:  # a pin holds nothing but the seat in the next re-solve
            raise Conflict(
                f"{_named(session, plan, a)} is {a.review}, not approved, rejected or pinned: there is no decision "
                "to undo; approve, reject or pin it instead"
            )
        a.review, a.reviewed_by, a.reviewed_at, a.deployment_id = ReviewStatus.proposed, None, None, None
        session.add(a)
        audit.record(session, principal, "undo", "plan_assignment", a.id, before=before, after=_state(plan, a))
    return list(ids), cancelled


def _state(plan: Plan, a: PlanAssignment) -> dict:
    return {
        "plan_id": plan.id,
        "position_id": a.position_id,
        "seat": a.seat,
        "supplier": a.supplier_key,
        "review": ReviewStatus(a.review).value,
        "deployment_id": a.deployment_id,
    }


def _named(session: Session, plan: Plan, a: PlanAssignment) -> str:
    """The assignment in plain words: its supplier's name, the seat and the position's title."""
    public = repo.assignments(session, plan, [PlanAssignment.id == a.id])[0]
    return f"{public.supplier.name} in seat {a.seat} of position {a.position_id} ({public.position_title})"


def _unapprove(session: Session, plan: Plan, a: PlanAssignment, principal: Principal) -> int:
    deployment_id = a.deployment_id
    deployment = repo.deployment_for_update(session, deployment_id) if deployment_id is not None else None
    if deployment_id is None or deployment is None or deployment.status not in UNDOABLE:
        status = DeploymentStatus(deployment.status) if deployment else DeploymentStatus.cancelled
        raise Conflict(
            f"the approval of {_named(session, plan, a)} cannot be undone: "
            f"deployment {deployment_id} " + ENDED[status].format(id=deployment_id)
        )
    before = deployments.to_public(session, deployment)
    deployments.transition(session, deployment, DeploymentStatus.cancelled)
    after = deployments.to_public(session, deployment)
    audit.record(session, principal, "undo", "deployment", deployment_id, before=before, after=after)
    return deployment_id


def _unreject(session: Session, a: PlanAssignment, principal: Principal) -> None:
    pair = repo.forbidden_pair(session, a.position_id, str(SupplierId.of(a.expert_id, a.offer_id)))
    if pair is not None:
        gone = {"position_id": pair.position_id, "supplier": pair.supplier, "plan_id": pair.plan_id}
        audit.record(session, principal, "delete", "forbidden_pair", pair.id, before=gone)
        session.delete(pair)
