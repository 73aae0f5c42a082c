"""Routes: deployments — approved assignments and their lifecycle."""

from datetime import date, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Response

from schemas.enums import DeploymentStatus
from schemas.planning import DeploymentPublic, DeploymentsPublic, DeploymentUpdate
from service.deployments.repository import LIVE
from service.platform.deps import CurrentUser, PlannerUser, SessionDep
from service.platform.etags import set_etag
from service.deployments import repository as repo
from service.platform.updates import audited_update
from service.platform.params import Id, Limit, Offset, check_range
from service.platform.tables import Deployment

router = APIRouter(prefix="/deployments", tags=["deployments"])


def deployment_filters(
    mission: str | None = None,
    expert_id: Annotated[int | None, Query(ge=1, le=2_147_483_647)] = None,
    offer_id: Annotated[int | None, Query(ge=1, le=2_147_483_647)] = None,
    request_id: Annotated[int | None, Query(ge=1, le=2_147_483_647)] = None,
    state: Annotated[str | None, Query(pattern=r"^[A-Z]{3}$", description="contributing Member State")] = None,
    status: DeploymentStatus | None = None,
    active_from: Annotated[date | None, Query(description="deployments overlapping [active_from, active_to]")] = None,
    active_to: date | None = None,
) -> list:
    """The filters of the deployment list (and its export), as query conditions."""
    check_range(active_from, active_to, "active_from", "active_to")
    conditions = [getattr(Deployment, name) == value for name, value in {
        "mission": mission, "expert_id": expert_id, "offer_id": offer_id, "request_id": request_id,
        "contributing_state": state, "status": status}.items() if value is not None]
    if active_from is not None:
        conditions += [Deployment.start_date <= active_to, Deployment.end_date >= active_from]
    return conditions


DeploymentFilters = Annotated[list, Depends(deployment_filters)]


@router.get("", response_model=DeploymentsPublic)
def list_deployments(session: SessionDep, principal: CurrentUser, conditions: DeploymentFilters,
                     limit: Limit = 50, offset: Offset = 0):
    """Deployments, by start date; Member States see those of their own experts and offers."""
    data, count = repo.list_deployments(session, principal, conditions, limit, offset)
    return DeploymentsPublic(data=data, count=count)


@router.get("/ending", response_model=DeploymentsPublic)
def ending_soon(
    session: SessionDep,
    principal: CurrentUser,
    within_days: Annotated[int, Query(ge=0, le=3650, description="end within this many days from today")] = 30,
    today: Annotated[date | None, Query(description="default: today")] = None,
    limit: Limit = 100,
    offset: Offset = 0,
):
    """End-of-mission reminders: live deployments ending soon."""
    start = today or date.today()
    conditions = [Deployment.status.in_(LIVE), Deployment.end_date >= start,
                  Deployment.end_date <= start + timedelta(days=within_days)]
    data, count = repo.list_deployments(session, principal, conditions, limit, offset)
    return DeploymentsPublic(data=sorted(data, key=lambda d: d.end_date), count=count)


@router.get("/{deployment_id}", response_model=DeploymentPublic)
def get_deployment(session: SessionDep, principal: CurrentUser, deployment_id: Id, response: Response):
    """One deployment."""
    deployment = repo.get_visible(session, principal, deployment_id)
    set_etag(response, deployment.version)
    return repo.to_public(session, deployment)


@router.patch("/{deployment_id}", response_model=DeploymentPublic)
def update_deployment(
    session: SessionDep,
    principal: PlannerUser,
    deployment_id: Id,
    body: DeploymentUpdate,
    response: Response,
    if_match: Annotated[str | None, Header()] = None,
):
    """Move a deployment along planned → deployed → completed, or cancel it (freeing the time)."""
    deployment = repo.get_visible(session, principal, deployment_id)
    return audited_update(session, principal, response, if_match, row=deployment, entity="deployment",
                          public=lambda d: repo.to_public(session, d),
                          change=lambda: repo.change(session, deployment, body))
