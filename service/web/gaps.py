"""Page: the skill × level × quarter heatmap of demand against supply, with its CSV export."""

from datetime import date

from fastapi import APIRouter, Request, Response

from schemas.enums import Level
from schemas.reports import GapReport
from service.platform.deps import SessionDep
from service.reports import rendering, service
from service.reports.gaps import GapFilter
from service.web import render
from service.web.session import CurrentViewer

router = APIRouter(prefix="/ui")
COVERAGE_CAP = 10  # supply ten times the demand is as green as it gets


def _report(
    session, viewer, start: date | None, end: date | None, mission: str | None, level: str | None, skill: str | None
):
    """The report exactly as GET /reports/gaps builds it, for the same filters and role."""
    f = GapFilter(
        mission=mission or None,
        level=Level(level) if level in set(Level) else None,
        skill=skill.strip().upper() if skill and skill.strip() else None,
    )
    report = service.gap_report(
        session, principal=viewer.principal, start=start, end=end, mission=f.mission, level=f.level, skill=f.skill
    )
    return report, f


def _heatmap(report: GapReport) -> dict:
    """Rows: skill · level with any demand; columns: quarters; z: supply ÷ demand (capped); positions kept for links."""
    rows = sorted(
        {(c.skill, c.level.value) for c in report.cells if c.demand},
        key=lambda key: (key[0], list(Level).index(Level(key[1]))),
    )
    index = {key: i for i, key in enumerate(rows)}
    column = {q: j for j, q in enumerate(report.quarters)}
    z: list[list[float | None]] = [[None] * len(report.quarters) for _ in rows]
    cells = [[None] * len(report.quarters) for _ in rows]
    for c in report.cells:
        key = (c.skill, c.level.value)
        if key in index:
            i, j = index[key], column[c.quarter]
            z[i][j] = min(c.ratio, COVERAGE_CAP) if c.ratio is not None else None
            cells[i][j] = {
                "demand": c.demand,
                "supply": c.supply,
                "gap": c.gap,
                "unfilled": c.unfilled,
                "positions": c.positions,
            }
    labels = [f"{skill} · {level}" for skill, level in rows]
    return {"x": report.quarters, "y": labels, "z": z, "cells": cells}


@router.get("/gaps")
def gaps(
    request: Request,
    session: SessionDep,
    viewer: CurrentViewer,
    start: date | None = None,
    end: date | None = None,
    mission: str | None = None,
    level: str | None = None,
    skill: str | None = None,
):
    """The heatmap, the cells as a table, and the positions behind each cell."""
    report, f = _report(session, viewer, start, end, mission, level, skill)
    positions = service.positions(session, ids={p for c in report.cells for p in c.positions})
    missions = service.mission_codes(session)
    params = render.query(
        start=report.from_.isoformat(),
        end=report.to.isoformat(),
        mission=f.mission,
        level=f.level.value if f.level else None,
        skill=f.skill,
    )
    return render.page(
        request,
        "gaps.html",
        viewer,
        charts=True,
        title="Skill gaps",
        report=report,
        filters=f,
        heatmap=_heatmap(report) | {"positions": positions},
        missions=missions,
        levels=list(Level),
        csv_url=f"/ui/gaps.csv?{params}",
        demand_cells=[c for c in report.cells if c.demand],
    )


@router.get("/gaps.csv")
def gaps_csv(
    session: SessionDep,
    viewer: CurrentViewer,
    start: date | None = None,
    end: date | None = None,
    mission: str | None = None,
    level: str | None = None,
    skill: str | None = None,
):
    """The same report as CSV, one row per cell (as GET /reports/gaps?format=csv)."""
    report, _ = _report(session, viewer, start, end, mission, level, skill)
    return Response(
        rendering.to_csv(report),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{rendering.csv_filename(report)}"'},
    )
