"""Pages' export buttons: the API's exports (CSV or XLSX) for the signed-in viewer, through the session cookie.

The API's own export routes ask for a bearer token, which a browser does not hold; these call the same
spreadsheet services with the viewer's principal, so a Member State still gets only its own rows."""

from datetime import date
from typing import Literal

from fastapi import APIRouter

from schemas.enums import DeploymentStatus, Level
from service.deployments import service as deployments
from service.platform.deps import SessionDep
from service.platform.params import Id
from service.spreadsheets import service
from service.spreadsheets.writing import attachment
from service.web.session import CurrentViewer, StaffViewer

router = APIRouter(prefix="/ui")
Format = Literal["csv", "xlsx"]


@router.get("/plans/{plan_id}/export")
def plan(
    session: SessionDep,
    _: StaffViewer,
    plan_id: Id,
    format: Format = "xlsx",
    sheet: Literal["assignments", "unfilled"] = "assignments",
):
    """A plan's assignments and unfilled seats, as GET /plans/{id}/export."""
    content, filename = service.plan_export(session, plan_id=plan_id, format=format, sheet=sheet)
    return attachment(content, format, filename)


@router.get("/deployments/export")
def deployments_file(
    session: SessionDep,
    viewer: CurrentViewer,
    format: Format = "xlsx",
    mission: str | None = None,
    status: DeploymentStatus | None = None,
):
    """The deployments the page lists with the same filters, as GET /deployments/export."""
    conditions = deployments.conditions(mission=mission or None, status=status)
    content, filename = service.deployments_export(
        session, principal=viewer.principal, conditions=conditions, format=format
    )
    return attachment(content, format, filename)


@router.get("/gaps/export")
def gaps(
    session: SessionDep,
    viewer: CurrentViewer,
    format: Format = "xlsx",
    start: date | None = None,
    end: date | None = None,
    mission: str | None = None,
    level: Level | None = None,
    skill: str | None = None,
):
    """The gap report the page shows with the same filters, as GET /reports/gaps/export."""
    content, filename = service.gaps_export(
        session,
        principal=viewer.principal,
        start=start,
        end=end,
        mission=mission or None,
        level=level,
        skill=skill or None,
        format=format,
    )
    return attachment(content, format, filename)
