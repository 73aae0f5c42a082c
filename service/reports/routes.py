"""Routes: reports."""

from typing import Annotated, Literal

from fastapi import APIRouter, Header, Query, Response

from schemas.dates import Day
from schemas.enums import Level
from schemas.reports import GapReport
from service.platform.deps import CurrentUser, SessionDep
from service.reports import rendering, service
from service.reports.gaps import DEFINITIONS

router = APIRouter(prefix="/reports", tags=["reports"])


@router.get(
    "/gaps",
    response_model=GapReport,
    summary="Skill gaps by level and quarter",
    description=DEFINITIONS,
    responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}}},
)
def gaps(
    session: SessionDep,
    principal: CurrentUser,
    start: Annotated[Day | None, Query(alias="from", description="first day; default: this quarter's start")] = None,
    end: Annotated[Day | None, Query(alias="to", description="last day; default: 8 quarters ahead")] = None,
    mission: Annotated[str | None, Query(max_length=20, description="mission code: demand and unfilled only")] = None,
    level: Level | None = None,
    skill: Annotated[str | None, Query(max_length=24, description="skill code")] = None,
    format: Annotated[Literal["json", "csv"] | None, Query(description="overrides the Accept header")] = None,
    accept: Annotated[str | None, Header()] = None,
):
    """Skill gaps: demand against supply by skill, level and quarter, as JSON or CSV."""
    report = service.gap_report(
        session, principal=principal, start=start, end=end, mission=mission, level=level, skill=skill
    )
    if format == "csv" or (format is None and rendering.prefers_csv(accept)):
        return Response(
            rendering.to_csv(report),
            media_type="text/csv; charset=utf-8",
            headers={
                "Content-Disposition": f'attachment; filename="{rendering.csv_filename(report)}"',
                "Vary": "Accept",
            },
        )
    return report
