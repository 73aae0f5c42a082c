"""The gap report: demand for skills by level and quarter against the supply of people and offer slots."""

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date

from sqlmodel import Session

from schemas.dates import FIRST_DAY, LAST_DAY
from schemas.enums import Level
from schemas.ids import SeatId
from schemas.instance import Instance
from schemas.reports import (
    CellStatus,
    CredentialGap,
    GapCell,
    GapReport,
    LatestPlan,
    ReasonCount,
    SeatRef,
    Totals,
    UnfilledSeat,
)
from service.platform.errors import Invalid
from service.reference.repository import check_missions, check_skills
from service.reports import repository, supply
from solver.candidates import blocked_by_credentials

DEFAULT_QUARTERS_AHEAD = 8
MAX_YEARS = 5
PROFICIENT = supply.PROFICIENT
TOP_REASONS = 10

DEFINITIONS = f"""Demand against supply by skill × level of engagement × calendar quarter: the matrix that
shows donors the technical gaps.

- **Range**: `from` and `to` (default: the quarter containing today through {DEFAULT_QUARTERS_AHEAD} quarters
  ahead; `from` alone runs {DEFAULT_QUARTERS_AHEAD} quarters ahead of its own quarter). Every calendar quarter
  (`2027-Q1`) the range touches is reported whole. `to` before `from`, or a range over {MAX_YEARS} years, is 422.
- **Demand** of a cell: the open seats (`count - filled`) of positions of open requests (submitted, planning,
  partly filled) that require the skill, at the position's level, whose dates overlap the quarter. A position
  counts in every quarter it overlaps.
- **Supply** of a cell: the suppliers who could take at least one of the cell's open seats by the solver's
  own eligibility rules (skill and proficiency, level, languages, category, grade, nationality, credentials
  valid through the end, availability for the whole period, other deployments and rest days, notice, offer
  caveats and readiness, nominations and assessments, rejections): the candidate filter a plan runs, on the
  open positions in range and every active expert and open offer, with the settings of the newest succeeded
  plan on its planning date, or today if later (without a plan: today and the defaults). Each counts once per
  cell however many of its positions it could take: an expert as 1, an offer as its slots (as the solver
  counts it).
  `supply_proficient` is the part at proficiency ≥ {PROFICIENT} in the cell's skill. Supply follows the
  demand: a `mission` filter narrows both.
- **gap** = max(demand - supply, 0); **ratio** = supply / demand (null without demand); **unfilled** = the seats
  of the cell the newest succeeded plan left empty (`unfilled_seats` names them), counted in every quarter
  their position overlaps. Only cells with demand or unfilled seats appear, largest gap first, then most
  unfilled. Totals sum the cells.
- **status** of a cell: `shortage` (red on the page) when demand is above supply; otherwise `unfilled` (amber)
  when the newest plan left seats of the cell empty all the same (eligible people went to other seats, or the
  rows changed since the plan); otherwise `covered` (green). A cell with an empty seat is never `covered`.
- **Unfilled**: the seats the newest succeeded plan left empty, with its reason; `top_reasons` counts, per rule
  (`skill`, `language`, `availability`, ...), the seats it was the biggest eliminator of (`competition` when
  no rule eliminated anyone but eligible suppliers went elsewhere, `other` when the plan gave no detail).
  Member States see unfilled seats of open requests only.
- **Blocked by credentials**: an unfilled seat for which some supplier passes every other rule of the position
  but none holds every credential it requires, valid through its end (the solver's own rules, run on the plan's
  instance without the `credential:*` ones). `blocked_by_credentials` on the seat lists each type they lack
  with how many lack it (training or a renewal can be scheduled); on a cell, and in the report, the number of
  such seats. A seat empty for another reason (nobody qualifies anyway, or the one who holds them all went
  elsewhere) is not counted.
- **Filters**: `mission` (demand and unfilled), `level`, `skill` (everything).
- **CSV**: send `Accept: text/csv` or `?format=csv` for one row per cell; `positions` is space-separated.
"""


@dataclass(frozen=True)
class GapFilter:
    mission: str | None = None
    level: Level | None = None
    skill: str | None = None


# --- Quarters --------------------------------------------------------------------------


@dataclass(frozen=True)
class Quarter:
    label: str
    start: int
    end: int


def _quarter_index(day: date) -> int:
    return day.year * 4 + (day.month - 1) // 3


def _quarter_start(index: int) -> date:
    return date(index // 4, index % 4 * 3 + 1, 1)


def _quarter(index: int) -> Quarter:
    start = _quarter_start(index)
    return Quarter(f"{start.year}-Q{index % 4 + 1}", start.toordinal(), _quarter_start(index + 1).toordinal() - 1)


def quarters(start: date, end: date) -> list[Quarter]:
    """Every calendar quarter the range touches, whole."""
    return [_quarter(i) for i in range(_quarter_index(start), _quarter_index(end) + 1)]


def resolve_range(start: date | None, end: date | None, today: date) -> tuple[date, date]:
    """The requested range with its defaults filled in; 422 when backwards, too long or out of bounds."""
    for name, day in (("from", start), ("to", end)):
        if day is not None and not FIRST_DAY <= day <= LAST_DAY:
            raise Invalid(name, f"{name} {day} is outside {FIRST_DAY} to {LAST_DAY}: give a date in between")
    start = start or _quarter_start(_quarter_index(today))
    end = end or min(date.fromordinal(_quarter(_quarter_index(start) + DEFAULT_QUARTERS_AHEAD).end), LAST_DAY)
    if end < start:
        raise Invalid("to", f"to {end} is before from {start}: swap them")
    limit = date(start.year + MAX_YEARS, start.month, 28 if (start.month, start.day) == (2, 29) else start.day)
    if end > limit:
        raise Invalid("to", f"from {start} to {end} is longer than {MAX_YEARS} years: ask for {limit} or earlier")
    return start, end


def check_filter(session: Session, f: GapFilter) -> None:
    if f.mission:
        check_missions(session, "mission", [f.mission])
    if f.skill:
        check_skills(session, "skill", [f.skill])


# --- Demand ----------------------------------------------------------------------------

Key = supply.Key


def _overlapping(qs: list[Quarter], start: int, end: int) -> list[int]:
    return [i for i, q in enumerate(qs) if q.start <= end and q.end >= start]


def demand(session: Session, qs: list[Quarter], f: GapFilter) -> tuple[Counter, dict[Key, set[int]]]:
    """Open seats per cell, and the positions behind them."""
    rows = repository.open_seats(session, date.fromordinal(qs[0].start), date.fromordinal(qs[-1].end), f.mission)
    seats: Counter[Key] = Counter()
    positions: defaultdict[Key, set[int]] = defaultdict(set)
    for pid, level, request_level, required, count, filled, start, end in rows:
        level = Level(level or request_level)
        if f.level and level != f.level:
            continue
        for code in {r["code"] for r in required or []}:
            if f.skill and code != f.skill:
                continue
            for i in _overlapping(qs, start.toordinal(), end.toordinal()):
                seats[code, level, i] += count - filled
                positions[code, level, i].add(pid)
    return seats, positions


# --- Cells -----------------------------------------------------------------------------


def cell_status(open_seats: int, eligible: int, unfilled: int, stranded: int = 0) -> CellStatus:
    """``shortage`` (red) when fewer can take the seats than there are open seats, or when a seat the latest plan
    left empty has no candidate at all (those who count as supply can take other positions of the cell only);
    else ``unfilled`` (amber) when the latest plan left seats of the cell empty all the same; else ``covered``
    (green)."""
    if open_seats > eligible or stranded:
        return "shortage"
    return "unfilled" if unfilled else "covered"


@dataclass
class Empty:
    """The latest plan's empty seats per cell, and of those the ones that only credentials kept empty."""

    seats: defaultdict[Key, list[SeatRef]] = field(default_factory=lambda: defaultdict(list))
    blocked: Counter[Key] = field(default_factory=Counter)


def _cells(session: Session, qs: list[Quarter], f: GapFilter, plan_id: int | None, empty: Empty) -> list[GapCell]:
    seats, positions = demand(session, qs, f)
    found = supply.candidates(
        session,
        supply.basis(session, plan_id),
        date.fromordinal(qs[0].start),
        date.fromordinal(qs[-1].end),
        {p for ids in positions.values() for p in ids},
    )
    available, proficient = supply.cell_supply(found, positions)
    names = repository.skill_names(session)
    cells = []
    for key in seats.keys() | empty.seats.keys():
        code, level, i = key
        d, s, unfilled = seats[key], available[key], len(empty.seats.get(key, ()))
        stranded = sum(1 for seat in empty.seats.get(key, ()) if _no_candidate(found, seat.position_id))
        name, area = names.get(code, (code, ""))
        cells.append(
            GapCell(
                skill=code,
                skill_name=name,
                area=area,
                level=level,
                quarter=qs[i].label,
                demand=d,
                supply=s,
                supply_proficient=proficient[key],
                gap=max(d - s, 0),
                ratio=round(s / d, 2) if d else None,
                unfilled=unfilled,
                blocked_by_credentials=empty.blocked[key],
                positions=sorted(positions.get(key, ())),
                status=cell_status(d, s, unfilled, stranded),
                unfilled_seats=empty.seats.get(key, []),
            )
        )
    order = list(Level).index
    cells.sort(key=lambda c: (-c.gap, -c.unfilled, c.skill, order(c.level), c.quarter))
    return cells


def _no_candidate(found: supply.Candidates, position_id: int) -> bool:
    """Whether nobody passes the solver's rules for this open position (False for one no longer open)."""
    pool = found.by_position.get(position_id)
    return pool is not None and len(pool) == 0


# --- Unfilled seats of the latest plan ---------------------------------------------------


def _latest_plan(session: Session) -> LatestPlan | None:
    row = repository.latest_plan(session)
    return LatestPlan(id=row[0], finished_at=row[1]) if row else None


def main_rule(detail: dict) -> str:
    """The rule that eliminated the most suppliers (the first on ties), by its name before any ':'."""
    steps = [s for s in detail.get("eliminations") or [] if s.get("eliminated", 0) > 0]
    if steps:
        biggest = max(steps, key=lambda s: s["eliminated"])  # max keeps the first of equals
        return str(biggest.get("rule", "other")).split(":", 1)[0] or "other"
    return "competition" if detail.get("competitors") else "other"


def _unfilled(
    session: Session, plan_id: int, f: GapFilter, open_only: bool, qs: list[Quarter]
) -> tuple[list, list, Empty]:
    """The plan's empty seats, its top reasons, and the empty seats per cell (with those only credentials kept)."""
    rows = list(repository.unfilled_seats(session, plan_id, f.mission, open_only))
    blocked = _blocked(session, plan_id, [str(SeatId(r[0], r[5])) for r in rows])
    seats: list[UnfilledSeat] = []
    rules: Counter[str] = Counter()
    empty = Empty()
    for pid, rid, title, request, mission, seat, reason, detail, level, request_level, required, start, end in rows:
        level = Level(level or request_level)
        codes = {r["code"] for r in required or []}
        if (f.level and level != f.level) or (f.skill and f.skill not in codes):
            continue
        lacking = blocked.get(str(SeatId(pid, seat)), [])
        seats.append(
            UnfilledSeat(
                position_id=pid,
                request_id=rid,
                title=title,
                request=request,
                mission=mission,
                seat=seat,
                reason=reason,
                blocked_by_credentials=lacking,
                detail=detail or {},
            )
        )
        rules[main_rule(detail or {})] += 1
        for code in {f.skill} if f.skill else codes:
            for i in _overlapping(qs, start.toordinal(), end.toordinal()):
                empty.seats[code, level, i].append(SeatRef(position_id=pid, seat=seat))
                empty.blocked[code, level, i] += bool(lacking)
    top = sorted(rules.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_REASONS]
    return seats, [ReasonCount(rule=rule, count=n) for rule, n in top], empty


def _blocked(session: Session, plan_id: int, seat_ids: list[str]) -> dict[str, list[CredentialGap]]:
    """Seat id -> the credential types that alone kept it empty, read from the plan's own instance."""
    text = repository.plan_instance(session, plan_id) if seat_ids else None
    if not text:
        return {}
    inst = Instance.model_validate_json(text)
    names = inst.credential_names
    return {
        seat: [CredentialGap(code=c, name=names.get(c, c), candidates=n) for c, n in sorted(lacking.items())]
        for seat, lacking in blocked_by_credentials(inst, seat_ids).items()
    }


# --- The report ------------------------------------------------------------------------


def gap_report(session: Session, start: date, end: date, f: GapFilter, *, open_only: bool = False) -> GapReport:
    """Demand against supply per skill × level × quarter, with the latest plan's unfilled seats."""
    qs = quarters(start, end)
    plan = _latest_plan(session)
    unfilled, reasons, empty = _unfilled(session, plan.id, f, open_only, qs) if plan else ([], [], Empty())
    cells = _cells(session, qs, f, plan.id if plan else None, empty)
    totals = Totals(
        demand=sum(c.demand for c in cells), supply=sum(c.supply for c in cells), gap=sum(c.gap for c in cells)
    )
    return GapReport.model_validate(
        {
            "from": start,
            "to": end,
            "quarters": [q.label for q in qs],
            "cells": cells,
            "totals": totals,
            "latest_plan": plan,
            "unfilled": unfilled,
            "blocked_by_credentials": sum(1 for seat in unfilled if seat.blocked_by_credentials),
            "top_reasons": reasons,
        }
    )
