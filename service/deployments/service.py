"""The use cases of deployments: list and export them, the ones ending soon, and a planner's lifecycle step."""

from datetime import date, timedelta
from typing import Any

from sqlmodel import Session

from schemas.dates import LAST_DAY
from schemas.enums import Role
from schemas.ids import SupplierId
from schemas.planning import (
    ConsentAwaiting,
    ConsentConfirm,
    ConsentDecline,
    DeclinedSeat,
    DeploymentPublic,
    DeploymentsPublic,
    DeploymentUpdate,
)
from service.deployments import consent
from service.deployments import repository as repo
from service.platform.auth import Principal
from service.platform.etags import check_if_match
from service.platform.params import check_range
from service.platform.unit import Unit
from service.platform.usecase import use_case


def conditions(*, active_from: date | None = None, active_to: date | None = None, **filters: Any) -> list:
    """The filters of the deployment list (and its export), as query conditions; 422 for a backwards period.

    ``filters``: those of ``repository.conditions`` (mission, expert, offer, request, state, status, at risk).
    """
    check_range(active_from, active_to, "active_from", "active_to")
    return repo.conditions(active_from=active_from, active_to=active_to, **filters)


def list_deployments(
    session: Session, *, principal: Principal, conditions: list, limit: int, offset: int
) -> DeploymentsPublic:
    """Deployments, by start date; Member States see those of their own experts and offers."""
    data, count = repo.list_deployments(session, principal, conditions, limit, offset)
    return DeploymentsPublic(data=data, count=count)


def ending_soon(
    session: Session, *, principal: Principal, start: date, within_days: int, limit: int, offset: int
) -> DeploymentsPublic:
    """Live deployments ending within ``within_days`` of ``start``, soonest first."""
    start = min(start, LAST_DAY)  # the page passes its own date through: no period may run past year 9999
    data, count = repo.list_deployments(
        session, principal, repo.ending(start, start + timedelta(days=within_days)), limit, offset
    )
    return DeploymentsPublic(data=sorted(data, key=lambda d: d.end_date), count=count)


def get_deployment(session: Session, *, principal: Principal, deployment_id: int) -> DeploymentPublic:
    """One deployment the principal may see; 404 otherwise."""
    return repo.to_public(session, repo.get_visible(session, principal, deployment_id))


@use_case
def update_deployment(
    unit: Unit, *, deployment_id: int, body: DeploymentUpdate, if_match: str | None
) -> DeploymentPublic:
    """Move a deployment along its lifecycle and/or change its note, audited; 412 on a stale If-Match."""
    session = unit.session
    deployment = repo.get_visible(session, unit.principal, deployment_id)
    return unit.update(
        deployment,
        entity="deployment",
        if_match=if_match,
        public=lambda d: repo.to_public(session, d),
        change=lambda: repo.change(session, deployment, body),
    )


@use_case
def decide_consent(
    unit: Unit, *, deployment_id: int, body: ConsentConfirm | ConsentDecline, if_match: str | None
) -> DeploymentPublic:
    """The contributing state's answer to a selection (or HQ recording it): confirm → planned, decline →
    declined (the seat is free, the pair forbidden, a re-solve suggested); 409 once decided, 412 if stale."""
    session = unit.session
    deployment = consent.lock(session, repo.get_visible(session, unit.principal, deployment_id))
    consent.refuse_unless_awaiting(deployment)
    check_if_match(if_match, deployment.version)
    before = repo.to_public(session, deployment)
    confirm = isinstance(body, ConsentConfirm)
    consent.decide(session, deployment, confirm=confirm, note=body.note, by=unit.principal.name)
    after = repo.to_public(session, deployment)
    unit.audit("confirm" if confirm else "decline", "deployment", deployment.id, before=before, after=after)
    return unit.commit(after)


def awaiting_consent(session: Session, *, principal: Principal) -> list[ConsentAwaiting]:
    """The selections awaiting consent: a Member State's own, or every state's for HQ, soonest due first."""
    rows = consent.awaiting(session, principal.state if principal.role == Role.member_state else None)
    known = repo.suppliers(session, [SupplierId.of(d.expert_id, d.offer_id) for d in rows])
    titles = consent.position_titles(session, {d.position_id for d in rows})
    return [
        ConsentAwaiting(deployment=repo.to_public(session, d, known), position_title=titles.get(d.position_id, ""))
        for d in rows
    ]


def consent_due(session: Session, *, deployment_ids: set[int]) -> dict[int, date]:
    """The day each of these deployments still awaiting consent is due, by id."""
    return consent.due_dates(session, deployment_ids)


def declined_seats(session: Session, *, plan_id: int) -> list[DeclinedSeat]:
    """The seats of a plan that their states declined, with the reason: a re-solve may fill them."""
    rows = consent.declined_in_plan(session, plan_id)
    titles = consent.position_titles(session, {d.position_id for d in rows})
    requests = consent.request_titles(session, {d.request_id for d in rows})
    names = consent.state_names(session, {d.contributing_state for d in rows if d.contributing_state})
    return [
        DeclinedSeat(
            deployment_id=d.id,
            plan_id=plan_id,
            position_id=d.position_id,
            position_title=titles.get(d.position_id, f"position {d.position_id}"),
            request_title=requests.get(d.request_id, f"request {d.request_id}"),
            mission=d.mission,
            seat=d.seat,
            state=d.contributing_state,
            state_name=names.get(d.contributing_state or "", d.contributing_state or "The state"),
            reason=d.consent_note,
            decided_by=d.consent_decided_by,
        )
        for d in rows
        if d.id is not None
    ]
