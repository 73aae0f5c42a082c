"""Page: deployments as a Gantt chart by person and by mission, with the end-of-mission reminders."""

from datetime import date, timedelta

from fastapi import APIRouter, Request

from schemas.enums import DeploymentStatus
from service.deployments.repository import LIVE
from service.platform.deps import SessionDep
from service.deployments import repository as repo
from service.platform.tables import Deployment
from service.web import render
from service.web.session import CurrentViewer

router = APIRouter(prefix="/ui/deployments")
MAX_ROWS = 2000
COLOURS = {"planned": "#d08c00", "deployed": "#1e7d3a", "completed": "#5b6775", "cancelled": "#b3261e"}


def _chart_rows(data) -> list[dict]:
    return [{"id": d.id, "person": _who(d), "mission": d.mission,
             "start": d.start_date.isoformat(), "end": (d.end_date + timedelta(days=1)).isoformat(),
             "status": d.status.value, "state": d.contributing_state or ""} for d in data]


def _who(d) -> str:
    """A person, or one slot of an offer (a team's slots are separate rows)."""
    if d.supplier.kind == "offer":
        return f"{d.supplier.name} ({d.supplier.id}, slot {d.slot})"
    return f"{d.supplier.name} ({d.supplier.id})"


@router.get("")
def deployments(request: Request, session: SessionDep, viewer: CurrentViewer, mission: str | None = None,
                status: str | None = None, today: date | None = None):
    """Every visible deployment on a timeline, and the live ones ending soon."""
    conditions = []
    if mission:
        conditions.append(Deployment.mission == mission)
    if status in set(DeploymentStatus):
        conditions.append(Deployment.status == status)
    data, count = repo.list_deployments(session, viewer.principal, conditions, MAX_ROWS, 0)
    start = today or date.today()
    days = request.app.state.settings.reminder_days
    ending, _ = repo.list_deployments(session, viewer.principal, [
        Deployment.status.in_(LIVE), Deployment.end_date >= start,
        Deployment.end_date <= start + timedelta(days=days)], MAX_ROWS, 0)
    return render.page(request, "deployments.html", viewer, title="Deployments", deployments=data, count=count,
                       ending=sorted(ending, key=lambda d: d.end_date), start=start, days=days,
                       chart={"rows": _chart_rows(data), "colours": COLOURS},
                       missions=sorted({d.mission for d in data}), statuses=list(DeploymentStatus),
                       filters={"mission": mission, "status": status, "today": today})
