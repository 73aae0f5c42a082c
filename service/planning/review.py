"""A planner's review of a plan: approve (→ deployment, once the rules hold today), reject (→ forbidden pair), pin."""

from sqlmodel import Session

from schemas.enums import DeploymentStatus, PlanStatus, ReviewStatus
from schemas.ids import SupplierId
from schemas.planning import Review, ReviewResult
from service.deployments import repository as deployments
from service.nominations import repository as nominations
from service.notifications.outbox import emit
from service.planning import approvals
from service.planning import repository as repo
from service.planning.superseding import refuse_if_replaced
from service.planning.undo import revert
from service.platform import audit, locks
from service.platform.auth import Principal
from service.platform.errors import Conflict, Invalid
from service.platform.tables import Deployment, ForbiddenPair, Plan, PlanAssignment, Position, stored_id, utcnow

OPEN_DECISIONS = (ReviewStatus.proposed, ReviewStatus.pinned)


def _assignments(session: Session, plan: Plan, ids: list[int]) -> dict[int, PlanAssignment]:
    rows = repo.assignment_rows(session, plan, ids)
    found = {stored_id(a.id): a for a in rows}
    missing = sorted(set(ids) - found.keys())
    if missing:
        raise Invalid(
            "body", f"assignment(s) {missing} are not part of plan {plan.id}: see GET /plans/{plan.id}/assignments"
        )
    decided = sorted(stored_id(a.id) for a in rows if a.review not in OPEN_DECISIONS)
    if decided:
        raise Conflict(f"assignment(s) {decided} were already approved or rejected")
    return found


def apply(session: Session, plan: Plan, review: Review, principal: Principal) -> ReviewResult:
    """Apply every decision or none: one conflict (409) leaves the whole review uncommitted."""
    if plan.status != PlanStatus.succeeded:
        raise Conflict(f"plan {plan.id} is {plan.status}: only a succeeded plan can be reviewed")
    decisions = review.approve + review.reject + review.pin
    if decisions:
        refuse_if_replaced(session, plan, "review")  # undo alone stays possible on a replaced plan
    undone, cancelled = revert(session, plan, review.undo, principal)
    rows = _assignments(session, plan, decisions)
    approving = [rows[aid] for aid in review.approve]
    booked, overridden = _approve_all(session, plan, approving, review.override_reason, principal)
    result = ReviewResult(
        approved=list(review.approve), rejected=[], pinned=[], deployments=booked, undone=undone, cancelled=cancelled
    )
    for aid in review.reject:
        _reject(session, plan, rows[aid], principal)
        result.rejected.append(aid)
    for aid in review.pin:
        _decide(rows[aid], ReviewStatus.pinned, principal)
        result.pinned.append(aid)
    for a in rows.values():
        session.add(a)
        audit.record(
            session,
            principal,
            ReviewStatus(a.review).value,
            "plan_assignment",
            a.id,
            after={
                "plan_id": plan.id,
                "position_id": a.position_id,
                "seat": a.seat,
                "supplier": a.supplier_key,
                "deployment_id": a.deployment_id,
            }
            | ({"override": overridden[a.id]} if a.id in overridden else {}),
        )
    return result


def _decide(a: PlanAssignment, status: ReviewStatus, principal: Principal) -> None:
    a.review, a.reviewed_by, a.reviewed_at = status, principal.name, utcnow()


def _approve_all(
    session: Session, plan: Plan, rows: list[PlanAssignment], reason: str | None, principal: Principal
) -> tuple[list[int], dict[int | None, dict]]:
    """Check each approval by today's rows under its supplier's booking lock, then book it; 409 naming every
    refused one unless a reason is given and all its problems are breakable. The deployments, and the
    overrides by assignment."""
    if not rows:
        return [], {}
    suppliers = {a.id: SupplierId.of(a.expert_id, a.offer_id) for a in rows}
    # the requests' locks, then the suppliers', each set in sorted order: the order every writer takes them in
    locks.lock_requests(session, {p.request_id for a in rows if (p := repo.position(session, a.position_id))})
    locks.lock_suppliers(session, {str(s) for s in suppliers.values()})
    basis = approvals.Basis.of(plan)
    refused: list[approvals.Refusal] = []
    booked: list[int] = []
    overridden: dict[int | None, dict] = {}
    for a in rows:
        position = repo.position(session, a.position_id)
        problems = basis.problems(session, a, position, suppliers[a.id])
        blocking = [p for p in problems if not (reason and p.breakable)]
        if blocking:
            clashes = basis.clashes(session, suppliers[a.id], position) if approvals.deployed(blocking) else []
            title = position.title if position else "removed"
            refused.append(approvals.Refusal(a, suppliers[a.id], title, blocking, clashes))
        elif not refused and position is not None:  # once one is refused nothing is written: only checks
            deployment = _approve(session, plan, a, position, principal)
            booked.append(deployment.id)
            if problems:
                overridden[a.id] = approvals.override(session, deployment, reason, problems)
    if refused:
        raise approvals.refused(session, refused)
    return booked, overridden


def _approve(session: Session, plan: Plan, a: PlanAssignment, position: Position, principal: Principal) -> Deployment:
    _replace(session, plan, a, principal, position)
    deployment = deployments.create(
        session,
        position=position,
        seat=a.seat,
        expert_id=a.expert_id,
        offer_id=a.offer_id,
        plan_id=plan.id,
        assignment_id=a.id,
        approved_by=principal.name,
    )
    _decide(a, ReviewStatus.approved, principal)
    a.deployment_id = deployment.id
    supplier = str(SupplierId.of(a.expert_id, a.offer_id))
    nominations.mark_selected(session, position_id=position.id, supplier_key=supplier, by=principal.name)
    return deployment


def _replace(session: Session, plan: Plan, a: PlanAssignment, principal: Principal, position) -> None:
    """A replacement plan's seat is freed as it is filled: the at-risk deployment there is cancelled, audited,
    in the approval's transaction, so the seat is never held twice nor left empty by a failed approval."""
    held = repo.live_in_seat(session, a.position_id, a.seat)
    if held is None or held.id not in plan.parameters.get("replace_deployments", []):
        return
    if held.at_risk_since is None:
        raise Conflict(
            f"seat {a.seat} of position {position.id} ({position.title}) stays with deployment {held.id}: it is "
            "no longer at risk (its data was put right); reject this replacement"
        )
    before = deployments.to_public(session, held)
    deployments.transition(session, held, DeploymentStatus.cancelled)
    after = deployments.to_public(session, held).model_dump(mode="json") | {"replaced_by_plan": plan.id}
    audit.record(session, principal, "replace", "deployment", held.id, before=before, after=after)


def _reject(session: Session, plan: Plan, a: PlanAssignment, principal: Principal) -> None:
    _decide(a, ReviewStatus.rejected, principal)
    supplier = str(SupplierId.of(a.expert_id, a.offer_id))
    if repo.forbidden_pair(session, a.position_id, supplier) is None:
        session.add(
            ForbiddenPair(position_id=a.position_id, supplier=supplier, plan_id=plan.id, created_by=principal.name)
        )
    if a.offer_id is not None:
        offer = repo.offer(session, a.offer_id)
        emit(
            session,
            "offer.declined",
            state=offer.state,
            entity="offer",
            entity_id=offer.id,
            payload={"offer_id": offer.id, "title": offer.title, "position_id": a.position_id},
        )
