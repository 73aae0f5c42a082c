"""The use cases of reports: the gap report with its defaults and checks, for the API, pages, exports and CLI."""

from datetime import date

from sqlmodel import Session

from schemas.enums import Level, Role
from schemas.reports import GapReport
from service.platform.auth import Principal
from service.reports import gaps, repository
from service.requests import repository as requests_repo


def gap_report(
    session: Session,
    *,
    principal: Principal,
    start: date | None,
    end: date | None,
    mission: str | None,
    level: Level | None,
    skill: str | None,
) -> GapReport:
    """The gap report for these filters, with GET /reports/gaps' defaults and checks (Member States: open seats)."""
    start, end = gaps.resolve_range(start, end, date.today())
    f = gaps.GapFilter(mission=mission, level=level, skill=skill.upper() if skill else None)
    gaps.check_filter(session, f)
    return gaps.gap_report(session, start, end, f, open_only=principal.role == Role.member_state)


def positions(session: Session, *, ids: set[int]) -> dict[int, dict]:
    """The positions behind report cells, with their request (and where it is for), by id."""
    names = requests_repo.state_names(session) if ids else {}
    return (
        {
            p.id: {
                "id": p.id,
                "title": p.title,
                "request_id": r.id,
                "request": r.title,
                "mission": requests_repo.place(r, names),
                "start": p.start_date.isoformat(),
                "end": p.end_date.isoformat(),
                "open": p.count - p.filled,
            }
            for p, r in repository.positions_with_requests(session, ids)
        }
        if ids
        else {}
    )


def mission_codes(session: Session) -> list[str]:
    """Every mission code, for the report's filter."""
    return repository.mission_codes(session)
