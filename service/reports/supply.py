"""The gap report's supply: the suppliers who pass the solver's own eligibility rules for a cell's positions.

No rule is written here: the bridge builds the solver's instance of the open positions in range once, and the
solver's candidate filter (``solver.candidates.generate``, the very one a plan runs) sifts every supplier for
one seat of each position. A cell's supply is then the union of its positions' candidates, each counted once.

Building the instance is the report's cost, and most of it is the roster (hundreds of experts with their skills,
languages, windows and credentials as rows). The solver's view of the roster is kept per database while the
roster's version (``data_version.experts``, moved by triggers on every change to experts, their rows and
credentials) stands still; offers, positions, deployments and the rest are read fresh every time.
"""

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

import numpy as np
from sqlmodel import Session

from schemas.enums import CandidatePool, Level
from schemas.ids import SeatId
from schemas.instance import Parameters
from service.planning import bridge
from service.planning.jobs import candidate_pool, solver_parameters
from service.platform.readcache import VersionedCache
from service.reports import repository
from solver.candidates import generate
from solver.suppliers import Ints, Suppliers

Key = tuple[str, Level, int]  # skill code, level, quarter index in the report
PROFICIENT = 3
ROSTERS = VersionedCache(max_bytes=8 * VersionedCache.OTHER_SIZE)  # the rosters of the last 8 databases read


@dataclass(frozen=True)
class Basis:
    """What the candidates are judged by: the latest plan's settings and planning date (or today), or the defaults."""

    today: date
    parameters: Parameters = field(default_factory=Parameters)
    pool: CandidatePool = CandidatePool.roster


def basis(session: Session, plan_id: int | None) -> Basis:
    """The parameters and candidate pool of that plan, on its planning date or today if that is later (notice is
    counted from it: an old plan's date would let in people who can no longer arrive in time); without a plan,
    today and the defaults."""
    plan = repository.plan(session, plan_id) if plan_id is not None else None
    if plan is None or not plan.parameters:
        return Basis(date.today())
    parameters, options = solver_parameters(plan)
    planned_on = date.fromisoformat(options["today"]) if "today" in options else date.today()
    return Basis(max(planned_on, date.today()), parameters, candidate_pool(options))


@dataclass
class Candidates:
    """Every supplier as the solver lays them out, and each position's candidates (supplier indices)."""

    suppliers: Suppliers | None = None
    by_position: dict[int, Ints] = field(default_factory=dict)


def candidates(session: Session, how: Basis, first: date, last: date, position_ids: set[int]) -> Candidates:
    """The candidates of one seat of each position (its seats share every rule), by the solver's filter."""
    if not position_ids:
        return Candidates()
    instance, seats = bridge.build_instance(
        session,
        today=how.today,
        scope=bridge.Scope(None, first, last),
        parameters=how.parameters,
        pool=how.pool,
        roster=_roster(session),
    )
    first_seat: dict[int, str] = {}
    for seat_id, (position, _) in seats.by_id.items():
        if position.id in position_ids:
            first_seat.setdefault(position.id, seat_id)
    wanted = set(first_seat.values())
    instance.positions = [p for p in instance.positions if p.id in wanted]
    sup, filtered = generate(instance)
    return Candidates(sup, {SeatId.parse(f.position.id).position: f.candidates for f in filtered})


def _roster(session: Session) -> list:
    """The solver's view of the active roster, kept while the roster's version stands still (read first: what is
    kept is at least as new as the version it is kept under)."""
    version = repository.roster_version(session)
    key = ("gap-roster", session.get_bind().engine.url.render_as_string(hide_password=True))
    return ROSTERS.remember(key, version, lambda: bridge.active_roster(session))


def cell_supply(found: Candidates, positions: Mapping[Key, set[int]]) -> tuple[Counter, Counter]:
    """Per cell: the suppliers eligible for at least one of its positions, each once (an offer as its slots, as
    the solver counts it), and those of them at proficiency 3 or more in the cell's skill."""
    supply: Counter[Key] = Counter()
    proficient: Counter[Key] = Counter()
    sup = found.suppliers
    if sup is None:
        return supply, proficient
    for key, ids in positions.items():
        pools = [found.by_position[p] for p in ids if p in found.by_position]
        if not pools:
            continue
        idx = np.unique(np.concatenate(pools))
        capacity = sup.capacity[idx]
        supply[key] = int(capacity.sum())
        proficient[key] = int(capacity[sup.proficiency(sup.skills, key[0])[idx] >= PROFICIENT].sum())
    return supply, proficient
