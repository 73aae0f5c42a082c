"""The gap report: demand for skills by level and quarter against the supply of people and offer slots."""

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date

from sqlmodel import Session

from schemas.dates import FIRST_DAY, LAST_DAY
from schemas.enums import Level
from schemas.ids import SeatId
from schemas.instance import Instance
from schemas.reports import CredentialGap, GapCell, GapReport, LatestPlan, ReasonCount, Totals, UnfilledSeat
from service.platform.errors import Invalid
from service.reference.repository import check_missions, check_skills
from service.reports import repository
from solver.candidates import blocked_by_credentials

DEFAULT_QUARTERS_AHEAD = 8
MAX_YEARS = 5
PROFICIENT = 3
TOP_REASONS = 10

DEFINITIONS = f"""Demand against supply by skill × level of engagement × calendar quarter: the matrix that
shows donors the technical gaps.

- **Range**: `from` and `to` (default: the quarter containing today through {DEFAULT_QUARTERS_AHEAD} quarters
  ahead; `from` alone runs {DEFAULT_QUARTERS_AHEAD} quarters ahead of its own quarter). Every calendar quarter
  (`2027-Q1`) the range touches is reported whole. `to` before `from`, or a range over {MAX_YEARS} years, is 422.
- **Demand** of a cell: the open seats (`count - filled`) of positions of open requests (submitted, planning,
  partly filled) that require the skill, at the position's level, whose dates overlap the quarter. A position
  counts in every quarter it overlaps.
- **Supply** of a cell: active experts holding the skill (any proficiency; `supply_proficient` counts those at
  ≥ {PROFICIENT}) who work at the level, whose human-rights screening (the `HR-SCREENING` credential) is valid at
  least to the quarter's start and who have at least one free day in the quarter: inside an availability window
  (no windows: any time), not on leave, not in a live (planned or deployed) deployment. Plus the free slots
  (`slots - slots_used`) of submitted or accepted offers of the skill and level, not expired by the quarter's
  start, whose availability overlaps the quarter.
  Supply does not depend on the mission.
- **gap** = max(demand - supply, 0); **ratio** = supply / demand (null without demand); **unfilled** = the seats
  of the cell the newest succeeded plan left empty (where skills exist on paper but languages, dates, screening
  or competing priorities kept people away). Only cells with demand or supply appear, largest gap first, then
  most unfilled. Totals sum the cells.
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

Key = tuple[str, Level, int]  # skill code, level, quarter index in the report


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


# --- Supply: experts -------------------------------------------------------------------


def _free_spans(start: int, end: int, busy: list[tuple[int, int]]):
    """The parts of [start, end] outside every busy span (busy sorted by start)."""
    cursor = start
    for busy_start, busy_end in busy:
        if busy_end < cursor:
            continue
        if busy_start > end:
            break
        if busy_start > cursor:
            yield cursor, busy_start - 1
        cursor = max(cursor, busy_end + 1)
    if cursor <= end:
        yield cursor, end


def _free_quarters(qs: list[Quarter], screening: int, windows: list | None, busy: list) -> tuple[int, ...]:
    """Quarters in which the expert is screened (from the quarter's start) and has at least one free day."""
    screened = sum(q.start <= screening for q in qs)
    if not windows and not busy:
        return tuple(range(screened))
    first, last = qs[0].start, qs[-1].end
    base = _quarter_index(date.fromordinal(first))
    busy = sorted(busy)
    hit: set[int] = set()
    for start, end in windows or [(first, last)]:
        for free_start, free_end in _free_spans(max(start, first), min(end, last), busy):
            hit.update(
                range(
                    _quarter_index(date.fromordinal(free_start)) - base,
                    _quarter_index(date.fromordinal(free_end)) - base + 1,
                )
            )
    return tuple(sorted(i for i in hit if i < screened))


def _busy_and_windows(session: Session, qs: list[Quarter], wanted: set[int]) -> tuple[dict, dict]:
    """Availability windows, and leave plus live deployments, as ordinal spans per wanted expert."""
    windows: dict[int, list] = defaultdict(list)
    busy: dict[int, list] = defaultdict(list)
    first, last = date.fromordinal(qs[0].start), date.fromordinal(qs[-1].end)
    for eid, kind, start, end in repository.windows(session):
        if eid in wanted:
            (windows if kind == "available" else busy)[eid].append((start.toordinal(), end.toordinal()))
    for eid, start, end in repository.live_deployments(session, first, last):
        if eid in wanted:
            busy[eid].append((start.toordinal(), end.toordinal()))
    return windows, busy


def _expert_rows(session: Session, qs: list[Quarter], f: GapFilter) -> tuple[list, dict, dict]:
    """Skills, levels and screening of active experts screened at least to the first quarter."""
    skills, levels = repository.expert_skills_and_levels(session, date.fromordinal(qs[0].start), f.skill, f.level)
    by_expert: dict[int, list[Level]] = defaultdict(list)
    screening: dict[int, int] = {}
    for eid, level, until in levels:
        by_expert[eid].append(level)
        screening[eid] = until.toordinal()
    return [row for row in skills if row[0] in by_expert], by_expert, screening


def expert_supply(session: Session, qs: list[Quarter], f: GapFilter) -> tuple[Counter, Counter]:
    """Available experts per cell, and those of them proficient."""
    skill_rows, levels, screening = _expert_rows(session, qs, f)
    wanted = {row[0] for row in skill_rows}
    windows, busy = _busy_and_windows(session, qs, wanted)
    calendars = {eid: _free_quarters(qs, screening[eid], windows.get(eid), busy.get(eid, [])) for eid in wanted}
    grouped = Counter(
        (code, level, proficiency >= PROFICIENT, calendars[eid])
        for eid, code, proficiency in skill_rows
        if calendars[eid]
        for level in levels[eid]
    )
    supply: Counter[Key] = Counter()
    proficient: Counter[Key] = Counter()
    for (code, level, is_proficient, free), n in grouped.items():
        for i in free:
            supply[code, level, i] += n
            if is_proficient:
                proficient[code, level, i] += n
    return supply, proficient


# --- Supply: offers --------------------------------------------------------------------


def offer_supply(session: Session, qs: list[Quarter], f: GapFilter) -> tuple[Counter, Counter]:
    """Free offer slots per cell, and those of them offered at proficiency ≥ 3."""
    first, last = date.fromordinal(qs[0].start), date.fromordinal(qs[-1].end)
    rows = repository.open_offers(session, first, last)
    supply: Counter[Key] = Counter()
    proficient: Counter[Key] = Counter()
    for skills, levels, slots, used, start, end, expires in rows:
        quarters_open = [
            i for i in _overlapping(qs, start.toordinal(), end.toordinal()) if expires.toordinal() >= qs[i].start
        ]
        for s in skills or []:
            for level in {Level(lv) for lv in levels or []}:
                if (f.skill and s["code"] != f.skill) or (f.level and level != f.level):
                    continue
                for i in quarters_open:
                    supply[s["code"], level, i] += slots - used
                    if s["proficiency"] >= PROFICIENT:
                        proficient[s["code"], level, i] += slots - used
    return supply, proficient


# --- Cells -----------------------------------------------------------------------------


def _cells(session: Session, qs: list[Quarter], f: GapFilter, empty: Counter, blocked: Counter) -> list[GapCell]:
    seats, positions = demand(session, qs, f)
    people, people_proficient = expert_supply(session, qs, f)
    slots, slots_proficient = offer_supply(session, qs, f)
    supply, proficient = people + slots, people_proficient + slots_proficient
    names = repository.skill_names(session)
    cells = []
    for key in seats.keys() | supply.keys():
        code, level, i = key
        d, s = seats[key], supply[key]
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
                unfilled=empty[key],
                blocked_by_credentials=blocked[key],
                positions=sorted(positions.get(key, ())),
            )
        )
    order = list(Level).index
    cells.sort(key=lambda c: (-c.gap, -c.unfilled, c.skill, order(c.level), c.quarter))
    return cells


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
) -> tuple[list, list, Counter, Counter]:
    """The plan's empty seats, its top reasons, the empty seats per cell and those only credentials kept empty."""
    rows = list(repository.unfilled_seats(session, plan_id, f.mission, open_only))
    blocked = _blocked(session, plan_id, [str(SeatId(r[0], r[4])) for r in rows])
    seats: list[UnfilledSeat] = []
    rules: Counter[str] = Counter()
    per_cell: Counter[Key] = Counter()
    blocked_cell: Counter[Key] = Counter()  # of those, the seats that only credentials kept empty
    for pid, rid, title, mission, seat, reason, detail, level, request_level, required, start, end in rows:
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
                mission=mission,
                seat=seat,
                reason=reason,
                blocked_by_credentials=lacking,
            )
        )
        rules[main_rule(detail or {})] += 1
        for code in {f.skill} if f.skill else codes:
            for i in _overlapping(qs, start.toordinal(), end.toordinal()):
                per_cell[code, level, i] += 1
                blocked_cell[code, level, i] += bool(lacking)
    top = sorted(rules.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_REASONS]
    return seats, [ReasonCount(rule=rule, count=n) for rule, n in top], per_cell, blocked_cell


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
    none: tuple = ([], [], Counter(), Counter())
    unfilled, reasons, empty, blocked = _unfilled(session, plan.id, f, open_only, qs) if plan else none
    cells = _cells(session, qs, f, empty, blocked)
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
