"""What the demo generator draws from: the reference data indexed for sampling, and small helpers."""

import random
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from itertools import accumulate

from schemas.enums import Category, Level
from seed_data.names import NATIONALITIES, Nationality
from seed_data.reference import load_member_states, load_missions, load_skills

LEVEL_ORDER = (Level.strategic, Level.operational, Level.tactical)
CIVILIAN_GRADES = ("P-2", "P-3", "P-4", "P-5", "D-1", "D-2")
UNIFORMED_GRADES = ("OF-2", "OF-3", "OF-4", "OF-5", "OF-6", "OF-7")

# How likely a category of person is to hold skills of an area (1 when not listed).
AREA_AFFINITY: dict[Category, dict[str, int]] = {
    Category.civilian: {
        "Policy and doctrine": 3,
        "Legislation and governance": 3,
        "Financial management": 4,
        "Oversight and accountability": 3,
        "Coordination and partnerships": 3,
        "Human resources": 2,
        "Assessment and review": 2,
        "Protection and human rights": 2,
        "Training and mentoring": 1,
    },
    Category.military: {
        "Force design and integration": 4,
        "Training and mentoring": 4,
        "Logistics": 3,
        "Infrastructure": 3,
        "Disarmament, demobilization and reintegration": 3,
        "Assessment and review": 2,
        "Policy and doctrine": 2,
    },
    Category.police: {
        "Training and mentoring": 3,
        "Protection and human rights": 4,
        "Oversight and accountability": 2,
        "Human resources": 2,
        "Disarmament, demobilization and reintegration": 2,
    },
    Category.corrections: {
        "Training and mentoring": 3,
        "Protection and human rights": 3,
        "Infrastructure": 2,
        "Human resources": 2,
        "Oversight and accountability": 2,
    },
    Category.justice: {
        "Legislation and governance": 4,
        "Oversight and accountability": 4,
        "Protection and human rights": 3,
        "Policy and doctrine": 2,
    },
}


@dataclass(frozen=True)
class Pool:
    """Items with cumulative weights, for ``random.choices``."""

    items: tuple
    cum_weights: tuple[float, ...]

    @classmethod
    def of(cls, weighted: dict) -> "Pool":
        return cls(tuple(weighted), tuple(accumulate(weighted.values())))

    def pick(self, rng: random.Random):
        return rng.choices(self.items, cum_weights=self.cum_weights)[0]

    def sample(self, rng: random.Random, k: int) -> list:
        """k distinct items, drawn by weight (k is capped at the pool size)."""
        k = min(k, len(self.items))
        chosen: list = []
        while len(chosen) < k:
            item = self.pick(rng)
            if item not in chosen:
                chosen.append(item)
        return chosen


@dataclass(frozen=True, eq=False)
class Catalogue:
    skill_levels: dict[str, frozenset[Level]]
    skill_areas: dict[str, str]
    state_names: dict[str, str]
    mission_hosts: dict[str, tuple[str, ...]]
    mission_names: dict[str, str]
    active_missions: tuple[str, ...]
    nationalities: Pool

    def skill_pool(self, category: Category, levels: tuple[Level, ...]) -> Pool:
        return _skill_pool(self, category, levels)


@cache
def _skill_pool(catalogue: Catalogue, category: Category, levels: tuple[Level, ...]) -> Pool:
    affinity = AREA_AFFINITY[category]
    return Pool.of(
        {
            code: affinity.get(catalogue.skill_areas[code], 1)
            for code, skill_levels in catalogue.skill_levels.items()
            if skill_levels & set(levels)
        }
    )


@cache
def catalogue() -> Catalogue:
    """The reference data, indexed once per process."""
    skills = load_skills()
    missions = load_missions()
    return Catalogue(
        skill_levels={s.code: frozenset(s.levels) for s in skills},
        skill_areas={s.code: s.area for s in skills},
        state_names={s.iso3: s.name for s in load_member_states()},
        mission_hosts={m.code: tuple(m.host_states) for m in missions},
        mission_names={m.code: m.name for m in missions},
        active_missions=tuple(m.code for m in missions if m.active),
        nationalities=Pool.of({n: n.weight for n in NATIONALITIES}),
    )


class Repeats:
    """Counts how often a title recurs within a scope (a mission, a state), to keep natural keys unique."""

    def __init__(self) -> None:
        self._seen: dict[tuple[str, str], int] = {}

    def number(self, scope: str, title: str) -> int:
        n = self._seen.get((scope, title), 0) + 1
        self._seen[(scope, title)] = n
        return n


def grade(category: Category, rank: int) -> str:
    """The grade of a rank on the ladder of equivalence (1 = P-2 / OF-2)."""
    ladder = CIVILIAN_GRADES if category == Category.civilian else UNIFORMED_GRADES
    return ladder[rank - 1]


def adjacent(level: Level) -> tuple[Level, ...]:
    i = LEVEL_ORDER.index(level)
    return tuple(LEVEL_ORDER[j] for j in (i - 1, i + 1) if 0 <= j < len(LEVEL_ORDER))


def days(rng: random.Random, start: date, low: int, high: int) -> date:
    """A date between low and high days after start (inclusive)."""
    return start + timedelta(days=rng.randint(low, high))


def nationality_for(rng: random.Random) -> Nationality:
    """A nationality, drawn by how often its state contributes experts."""
    return catalogue().nationalities.pick(rng)
