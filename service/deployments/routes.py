"""Routes: deployments — approved assignments and their lifecycle."""

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request, Response

from schemas.dates import Day
from schemas.enums import DeploymentStatus, Role
from schemas.planning import ConsentDecision, DeploymentPublic, DeploymentsPublic, DeploymentUpdate
from schemas.roster import ISO3
from service.deployments import service
from service.platform.auth import Principal
from service.platform.deps import CurrentUser, PlannerUser, SessionDep, require
from service.platform.etags import set_etag
from service.platform.params import Id, Limit, Offset
from service.platform.unit import Unit

router = APIRouter(prefix="/deployments", tags=["deployments"])
# the contributing state answers; HQ (or an admin) records an answer that came by note verbale
ConsentUser = Annotated[Principal, Depends(require(Role.member_state, Role.hq, Role.admin))]


def deployment_filters(
    mission: str | None = None,
    expert_id: Annotated[int | None, Query(ge=1, le=2_147_483_647)] = None,
    offer_id: Annotated[int | None, Query(ge=1, le=2_147_483_647)] = None,
    request_id: Annotated[int | None, Query(ge=1, le=2_147_483_647)] = None,
    state: Annotated[str | None, Query(pattern=ISO3, description="contributing Member State")] = None,
    status: DeploymentStatus | None = None,
    active_from: Annotated[
        Day | None, Query(description="deployments overlapping [active_from, active_to]; alone: ending on or after it")
    ] = None,
    active_to: Annotated[Day | None, Query(description="alone: deployments starting on or before it")] = None,
    at_risk: Annotated[
        bool | None,
        Query(description="true: only the live deployments a later change broke (see at_risk); false: the others"),
    ] = None,
) -> list:
    """The filters of the deployment list (and its export), as query conditions."""
    return service.conditions(
        mission=mission,
        expert_id=expert_id,
        offer_id=offer_id,
        request_id=request_id,
        state=state,
        status=status,
        active_from=active_from,
        active_to=active_to,
        at_risk=at_risk,
    )


DeploymentFilters = Annotated[list, Depends(deployment_filters)]


@router.get("", response_model=DeploymentsPublic)
def list_deployments(
    session: SessionDep, principal: CurrentUser, conditions: DeploymentFilters, limit: Limit = 50, offset: Offset = 0
):
    """Deployments, by start date; Member States see those of their own experts and offers."""
    return service.list_deployments(session, principal=principal, conditions=conditions, limit=limit, offset=offset)


@router.get("/ending", response_model=DeploymentsPublic)
def ending_soon(
    session: SessionDep,
    principal: CurrentUser,
    within_days: Annotated[int, Query(ge=0, le=3650, description="end within this many days from today")] = 30,
    today: Annotated[Day | None, Query(description="default: today")] = None,
    limit: Limit = 100,
    offset: Offset = 0,
):
    """End-of-mission reminders: live deployments ending soon."""
    return service.ending_soon(
        session, principal=principal, start=today or date.today(), within_days=within_days, limit=limit, offset=offset
    )


@router.get("/{deployment_id:int}", response_model=DeploymentPublic)
def get_deployment(session: SessionDep, principal: CurrentUser, deployment_id: Id, response: Response):
    """One deployment."""
    deployment = service.get_deployment(session, principal=principal, deployment_id=deployment_id)
    set_etag(response, deployment.version)
    return deployment


@router.patch("/{deployment_id:int}", response_model=DeploymentPublic)
def update_deployment(
    session: SessionDep,
    principal: PlannerUser,
    deployment_id: Id,
    body: DeploymentUpdate,
    response: Response,
    if_match: Annotated[str | None, Header()] = None,
):
    """Move a deployment along planned → deployed → completed, or cancel it (freeing the time)."""
    answer = service.update_deployment(
        Unit.of(session, principal), deployment_id=deployment_id, body=body, if_match=if_match
    )
    set_etag(response, answer.version)
    return answer


@router.post("/{deployment_id:int}/consent", response_model=DeploymentPublic)
def decide_consent(
    session: SessionDep,
    principal: ConsentUser,
    deployment_id: Id,
    body: ConsentDecision,
    response: Response,
    request: Request,
    if_match: Annotated[str | None, Header()] = None,
):
    """The contributing state confirms (→ planned) or declines (→ declined, with its reason) a selection awaiting
    its consent; HQ may record the state's answer. 409 once it is decided."""
    answer = service.decide_consent(
        Unit.of(session, principal, request), deployment_id=deployment_id, body=body, if_match=if_match
    )
    set_etag(response, answer.version)
    return answer
