"""Column arrays of every supplier (experts, then offers), built once per instance.

Candidate rules read these arrays and decide eligibility for one position at a
time, vectorised over suppliers: no loop over experts in Python.
"""

from dataclasses import dataclass, field
from datetime import date

import numpy as np
import numpy.typing as npt

from schemas.enums import READINESS_RANK, Category, Gender, Level, Readiness, Source
from schemas.instance import Expert, Instance, Offer

Ints = npt.NDArray[np.int64]
Int8s = npt.NDArray[np.int8]
Bools = npt.NDArray[np.bool_]

FAR_FUTURE = date(9999, 12, 31).toordinal()
CATEGORIES = {c: i for i, c in enumerate(Category)}
LEVEL_BIT = {lvl: 1 << i for i, lvl in enumerate(Level)}
SOURCES = {s: i for i, s in enumerate(Source)}
OFFER_SOURCE = len(SOURCES)


@dataclass
class Windows:
    """Flattened date ranges sorted by owner: owner supplier index, first day, last day (ordinals).

    ``ptr[s]:ptr[s + 1]`` are the rows of supplier s, so a pool of suppliers reads only its own rows.
    """

    owner: Ints
    start: Ints
    end: Ints
    ptr: Ints

    @classmethod
    def build(cls, rows: list[tuple[int, int, int]], n: int) -> "Windows":
        arr = np.array(rows, dtype=np.int64).reshape(-1, 3)
        arr = arr[np.argsort(arr[:, 0], kind="stable")]
        ptr = np.searchsorted(arr[:, 0], np.arange(n + 1))
        return cls(arr[:, 0].copy(), arr[:, 1].copy(), arr[:, 2].copy(), ptr)

    def gather(self, idx: Ints) -> tuple[Ints, Ints, Ints]:
        """Rows of the suppliers idx: (position in idx, start, end)."""
        first = self.ptr[idx]
        counts = self.ptr[idx + 1] - first
        local = np.repeat(np.arange(len(idx)), counts)
        rows = np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts) + first[local]
        return local, self.start[rows], self.end[rows]


@dataclass
class Suppliers:
    ids: list[str]
    index: dict[str, int]
    n_experts: int
    capacity: Ints
    is_offer: Bools
    nationality: Ints
    nation_code: dict[str, int]
    member_state: list[str | None]
    female: Bools
    category: Int8s
    source: Int8s
    rapid: Bools
    levels: Ints
    grade: Ints
    notice: Ints
    credentials: dict[str, Ints]  # type -> the day (ordinal) each supplier's credential is valid through; -1 none
    readiness: Int8s  # an offer's rank in READINESS_RANK; experts rank above every level
    max_duration: Ints
    skills: dict[str, Int8s]
    languages: dict[str, Int8s]
    availability: Windows
    leave: Windows
    deployments: Windows
    excluded_missions: dict[str, Bools] = field(default_factory=dict)
    excluded_states: dict[str, Bools] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.ids)

    def proficiency(self, table: dict[str, Int8s], code: str) -> Int8s:
        col = table.get(code)
        return col if col is not None else np.zeros(len(self.ids), dtype=np.int8)


def _code_columns(maps: list[dict[str, int]]) -> dict[str, Int8s]:
    cols: dict[str, Int8s] = {}
    for i, m in enumerate(maps):
        for code, level in m.items():
            if code not in cols:
                cols[code] = np.zeros(len(maps), dtype=np.int8)
            cols[code][i] = level
    return cols


def _valid_through(held: list[dict[str, date]]) -> dict[str, Ints]:
    """type -> column of the day each supplier's credential of that type is valid through (-1: none held)."""
    cols: dict[str, Ints] = {}
    for i, credentials in enumerate(held):
        for code, until in credentials.items():
            if code not in cols:
                cols[code] = np.full(len(held), -1, dtype=np.int64)
            cols[code][i] = until.toordinal()
    return cols


def _flag_lists(lists: list[list[str]]) -> dict[str, Bools]:
    """value -> boolean column: which suppliers list it."""
    found: dict[str, Bools] = {}
    for i, values in enumerate(lists):
        for v in values:
            found.setdefault(v, np.zeros(len(lists), dtype=bool))[i] = True
    return found


def build_suppliers(inst: Instance) -> Suppliers:
    """Lay out experts then offers as columns."""
    ex, of = inst.experts, inst.offers
    both: list[Expert | Offer] = [*ex, *of]
    ids = [e.id for e in ex] + [o.id for o in of]
    n_e = len(ex)
    avail, leave, deps = [], [], []
    for i, e in enumerate(ex):
        if e.availability:
            avail += [(i, w.start.toordinal(), w.end.toordinal()) for w in e.availability]
        else:
            avail.append((i, 0, FAR_FUTURE))
        leave += [(i, w.start.toordinal(), w.end.toordinal()) for w in e.leave]
    for j, o in enumerate(of):
        avail.append((n_e + j, o.available_from.toordinal(), o.available_to.toordinal()))
    index = {s: i for i, s in enumerate(ids)}
    nations = [e.nationality for e in ex] + [o.state for o in of]
    codes: dict[str, int] = {}
    for d in inst.deployments:
        if d.supplier_id in index:
            deps.append((index[d.supplier_id], d.start.toordinal(), d.end.toordinal()))
    return Suppliers(
        ids=ids,
        index=index,
        n_experts=n_e,
        capacity=np.array([1] * n_e + [o.slots for o in of], dtype=np.int64),
        is_offer=np.array([False] * n_e + [True] * len(of), dtype=bool),
        nationality=np.array([codes.setdefault(x, len(codes)) for x in nations], dtype=np.int64),
        nation_code=codes,
        member_state=[e.member_state for e in ex] + [o.state for o in of],
        female=np.array([e.gender == Gender.female for e in ex] + [False] * len(of), dtype=bool),
        category=np.array([CATEGORIES[e.category] for e in ex] + [CATEGORIES[o.category] for o in of], np.int8),
        source=np.array([SOURCES[e.source] for e in ex] + [OFFER_SOURCE] * len(of), dtype=np.int8),
        rapid=np.array(
            [e.source == Source.standing_capacity for e in ex]
            + [o.readiness == Readiness.rapid_deployment for o in of],
            dtype=bool,
        ),
        levels=np.array([sum(LEVEL_BIT[lv] for lv in set(x.levels)) for x in both], dtype=np.int64),
        grade=np.array([-1 if x.grade is None else x.grade for x in both], dtype=np.int64),
        notice=np.array([x.notice_days for x in both], dtype=np.int64),
        credentials=_valid_through([x.credentials for x in both]),
        readiness=np.array([len(READINESS_RANK)] * n_e + [READINESS_RANK[o.readiness] for o in of], dtype=np.int8),
        max_duration=np.array([FAR_FUTURE] * n_e + [o.max_duration_days or FAR_FUTURE for o in of], dtype=np.int64),
        skills=_code_columns([x.skills for x in both]),
        languages=_code_columns([x.languages for x in both]),
        availability=Windows.build(avail, len(ids)),
        leave=Windows.build(leave, len(ids)),
        deployments=Windows.build(deps, len(ids)),
        excluded_missions=_flag_lists([[]] * n_e + [o.excluded_missions for o in of]),
        excluded_states=_flag_lists([[]] * n_e + [o.excluded_states for o in of]),
    )
