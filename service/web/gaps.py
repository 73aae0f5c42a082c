"""Page: the skill × level × quarter heatmap of demand against the supply that could take the seats, with the seats
the latest plan left empty in each cell, and its exports."""

from collections.abc import Mapping
from datetime import date

from fastapi import APIRouter, Request
from sqlmodel import Session

from schemas.enums import Level, Role
from schemas.reports import GapReport, UnfilledSeat
from service.platform.deps import SessionDep
from service.reports import service
from service.reports.gaps import GapFilter
from service.web import render
from service.web.explain import code_names, main_reason, plain_reasons
from service.web.session import CurrentViewer, Viewer

router = APIRouter(prefix="/ui")
# A cell's status in the page's colours; the heatmap draws them as 0, 1, 2 on a three-step scale.
COLOURS = {"shortage": "red", "unfilled": "amber", "covered": "green"}
SHADE = {"shortage": 0, "unfilled": 1, "covered": 2}
STAFF = (Role.admin, Role.hq, Role.planner)  # who may open a seat's alternatives (the plans pages' roles)


def _filter(mission: str | None, level: str | None, skill: str | None) -> GapFilter:
    return GapFilter(
        mission=mission or None,
        level=Level(level) if level in set(Level) else None,
        skill=skill.strip().upper() if skill and skill.strip() else None,
    )


def _seats(session: Session, report: GapReport, places: dict[int, dict], viewer: Viewer) -> dict[str, dict]:
    """Each empty seat of the latest plan, keyed ``position-seat``, in the planners' words: the solver's codes named
    as on the plan page; people named to the plans' roles only (a Member State reads "someone")."""
    plan = report.latest_plan
    if plan is None:
        return {}
    staff = viewer.can(*STAFF)
    texts = [u.reason for u in report.unfilled] + [
        f"{c.get('supplier_id')} {c.get('taken_by')} {c.get('why')}"
        for u in report.unfilled
        for c in u.detail.get("competitors") or []
    ]
    names = {code: name for code, name in code_names(session, texts).items() if staff or code[0] not in "EO"}
    return {
        f"{u.position_id}-{u.seat}": _seat(u, places.get(u.position_id), plan.id if staff else None, names)
        for u in report.unfilled
    }


def reasons(detail: dict, reason: str, names: Mapping[str, str] | None = None) -> list[str]:
    """The plan's funnel in plain words; when it left someone and nobody took them elsewhere, what kept them out."""
    lines = plain_reasons(detail, names) or [reason]
    left = int(detail.get("eligible") or 0)
    if left and not detail.get("competitors"):
        lines.append(
            f"The {left} left {'was' if left == 1 else 'were'} kept out by a team rule: a team's seats are filled all "
            "together or not at all, from one offer with slots left."
        )
    return lines


def _seat(u: UnfilledSeat, place: dict | None, plan_id: int | None, names: Mapping[str, str]) -> dict:
    lacking = [
        f"{g.name}: {g.candidates} candidate{' who passes' if g.candidates == 1 else 's who pass'} every other rule "
        f"{'lacks' if g.candidates == 1 else 'lack'} it"
        for g in u.blocked_by_credentials
    ]
    return {
        "title": u.title,
        "request": u.request,
        "request_id": u.request_id,
        "position_id": u.position_id,
        "place": place["mission"] if place else (u.mission or "outside a mission"),
        "seat": u.seat,
        "reasons": reasons(u.detail, u.reason, names),
        "credentials": lacking,
        "alternatives": (
            f"/ui/plans/{plan_id}/positions/{u.position_id}/alternatives?seat={u.seat}" if plan_id else None
        ),
    }


def _heatmap(report: GapReport) -> dict:
    """Rows: skill · level (by name) with demand or empty seats; columns: quarters; z: the cell's status as 0, 1, 2."""
    shown = [c for c in report.cells if c.demand or c.unfilled]
    names = {c.skill: c.skill_name for c in shown}
    rows = sorted({(c.skill, c.level) for c in shown}, key=lambda key: (names[key[0]], list(Level).index(key[1])))
    index = {key: i for i, key in enumerate(rows)}
    column = {q: j for j, q in enumerate(report.quarters)}
    z: list[list[int | None]] = [[None] * len(report.quarters) for _ in rows]
    cells: list[list[dict | None]] = [[None] * len(report.quarters) for _ in rows]
    for c in shown:
        i, j = index[c.skill, c.level], column[c.quarter]
        z[i][j] = SHADE[c.status]
        cells[i][j] = {
            "demand": c.demand,
            "supply": c.supply,
            "gap": c.gap,
            "unfilled": c.unfilled,
            "status": c.status,
            "colour": COLOURS[c.status],
            "positions": c.positions,
            "seats": [f"{s.position_id}-{s.seat}" for s in c.unfilled_seats],
        }
    labels = [f"{names[skill]} · {level.value}" for skill, level in rows]
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
    """The heatmap, the cells as a table, and each cell's positions and empty seats with their reasons."""
    f = _filter(mission, level, skill)
    report = service.gap_report(
        session, principal=viewer.principal, start=start, end=end, mission=f.mission, level=f.level, skill=f.skill
    )
    ids = {p for c in report.cells for p in c.positions} | {u.position_id for u in report.unfilled}
    places = service.positions(session, ids=ids)
    params = render.query(
        start=report.from_.isoformat(),
        end=report.to.isoformat(),
        mission=f.mission,
        level=f.level.value if f.level else None,
        skill=f.skill,
    )
    seats = _seats(session, report, places, viewer)
    return render.page(
        request,
        "gaps.html",
        viewer,
        charts=True,
        title="Skill gaps",
        report=report,
        filters=f,
        heatmap=_heatmap(report) | {"positions": places, "seats": seats},
        seats=seats,
        missions=service.mission_codes(session),
        levels=list(Level),
        exports={kind: f"/ui/gaps/export?format={kind}&{params}" for kind in ("csv", "xlsx")},
        cells=[c for c in report.cells if c.demand or c.unfilled],
        colours=COLOURS,
        main_reason=main_reason,
    )
