"""Demo experts: UN standing capacity and roster staff, and experts nominated by Member States."""

import random
import unicodedata
from datetime import date, timedelta
from functools import cache

from schemas.enums import Category, Gender, Level, Source
from schemas.roster import ExpertCreate
from seed_data.capacity_requests import THEMES, Role
from seed_data.catalogue import LEVEL_ORDER, Pool, adjacent, catalogue, days, grade, nationality_for
from seed_data.names import CULTURES, Culture, Nationality

PERIOD_START = date(2027, 1, 1)
PERIOD_END = date(2028, 12, 31)

# Where an expert comes from: a quarter are UN staff (no nominating state).
ORIGINS = Pool.of({"standing_capacity": 10, "un_roster": 15, "state_roster": 25, "secondee": 50})
ORIGIN_SOURCE = {
    "standing_capacity": Source.standing_capacity,
    "un_roster": Source.roster,
    "state_roster": Source.roster,
    "secondee": Source.secondee,
}
CATEGORIES = {
    "standing_capacity": Pool.of(
        {
            Category.civilian: 50,
            Category.police: 25,
            Category.military: 15,
            Category.justice: 10,
        }
    ),
    "other": Pool.of(
        {
            Category.civilian: 36,
            Category.military: 36,
            Category.police: 16,
            Category.corrections: 6,
            Category.justice: 6,
        }
    ),
}
PRIMARY_LEVELS = {
    Category.civilian: Pool.of({Level.strategic: 45, Level.operational: 40, Level.tactical: 15}),
    Category.military: Pool.of({Level.strategic: 20, Level.operational: 35, Level.tactical: 45}),
    Category.police: Pool.of({Level.strategic: 15, Level.operational: 35, Level.tactical: 50}),
    Category.corrections: Pool.of({Level.strategic: 10, Level.operational: 50, Level.tactical: 40}),
    Category.justice: Pool.of({Level.strategic: 40, Level.operational: 40, Level.tactical: 20}),
}
# Seniority on the ladder of equivalence (1 = P-2 / OF-2 ... 6 = D-2 / OF-7), by primary level.
RANKS = {
    Level.strategic: Pool.of({3: 35, 4: 35, 5: 20, 6: 10}),
    Level.operational: Pool.of({2: 40, 3: 40, 4: 20}),
    Level.tactical: Pool.of({1: 30, 2: 45, 3: 25}),
}
SKILL_COUNTS = Pool.of({2: 20, 3: 30, 4: 25, 5: 15, 6: 10})
SPECIALITIES = Pool.of({0: 5, 1: 45, 2: 50})
FEMALE_SHARE = {
    Category.civilian: 0.42,
    Category.justice: 0.4,
    Category.corrections: 0.3,
    Category.police: 0.25,
    Category.military: 0.15,
}
MINISTRY = {
    Category.civilian: "mod",
    Category.military: "mod",
    Category.police: "police",
    Category.corrections: "justice",
    Category.justice: "justice",
}
_ASCII = str.maketrans({"ı": "i", "ł": "l", "ø": "o", "ß": "ss", "'": "", " ": ""})


class Emails:
    """Unique e-mail addresses: a number is added when the name is taken."""

    def __init__(self) -> None:
        self._taken: dict[str, int] = {}

    def make(self, given: str, surname: str, domain: str) -> str:
        local = f"{_ascii(given)}.{_ascii(surname)}"
        key = f"{local}@{domain}"
        n = self._taken.get(key, 0) + 1
        self._taken[key] = n
        return key if n == 1 else f"{local}{n}@{domain}"


def make_experts(rng: random.Random, count: int, today: date) -> list[ExpertCreate]:
    """count demo experts, drawn from rng."""
    emails = Emails()
    return [make_expert(rng, today, emails) for _ in range(count)]


def make_expert(rng: random.Random, today: date, emails: Emails) -> ExpertCreate:
    origin = ORIGINS.pick(rng)
    un_staff = origin in ("standing_capacity", "un_roster")
    category = CATEGORIES["standing_capacity" if origin == "standing_capacity" else "other"].pick(rng)
    nationality = nationality_for(rng)
    culture = CULTURES[nationality.culture]
    gender = _gender(rng, category)
    given, surname = _name(rng, culture, gender)
    levels = _levels(rng, category, wide=origin == "standing_capacity")
    rank = RANKS[levels[0]].pick(rng)
    availability, leave = _availability(rng)
    domain = "un.example" if un_staff else f"{MINISTRY[category]}.{nationality.iso2.lower()}.example"
    return ExpertCreate.model_validate(
        dict(
            full_name=f"{surname} {given}" if culture.family_first else f"{given} {surname}",
            email=emails.make(given, surname, domain),
            national_id=None if un_staff else f"{nationality.iso2}{rng.randrange(10_000_000, 100_000_000)}",
            category=category,
            nationality=nationality.iso3,
            gender=gender,
            grade=grade(category, rank),
            source=ORIGIN_SOURCE[origin],
            notice_days=rng.randint(7, 14) if origin == "standing_capacity" else rng.randint(30, 90),
            screening_valid_until=_screening(rng, today),
            active=rng.random() > 0.03,
            state=None if un_staff else nationality.iso3,
            skills=_skills(rng, category, levels, rank),
            languages=_languages(rng, nationality, culture, un_staff),
            levels=sorted(levels, key=LEVEL_ORDER.index),
            availability=availability,
            leave=leave,
        )
    )


def _ascii(name: str) -> str:
    folded = unicodedata.normalize("NFKD", name.lower().translate(_ASCII))
    return folded.encode("ascii", "ignore").decode()


def _gender(rng: random.Random, category: Category) -> Gender:
    r = rng.random()
    if r < 0.005:
        return Gender.other
    return Gender.female if r < FEMALE_SHARE[category] else Gender.male


def _name(rng: random.Random, culture: Culture, gender: Gender) -> tuple[str, str]:
    if gender == Gender.other:
        gender = rng.choice((Gender.female, Gender.male))
    given = rng.choice(culture.female if gender == Gender.female else culture.male)
    surname = rng.choice(culture.surnames)
    if culture.feminine_surname and gender == Gender.female:
        surname = _feminine(surname)
    return given, surname


def _feminine(surname: str) -> str:
    if surname.endswith(("ov", "ev", "in")):
        return surname + "a"
    if surname.endswith(("ski", "cki")):
        return surname[:-1] + "a"
    return surname


def _levels(rng: random.Random, category: Category, wide: bool) -> list[Level]:
    primary = PRIMARY_LEVELS[category].pick(rng)
    levels = [primary]
    if rng.random() < (0.6 if wide else 0.35):
        levels.append(rng.choice(adjacent(primary)))
    return levels


def _skills(rng: random.Random, category: Category, levels: list[Level], rank: int) -> list[dict]:
    """One or two specialities (the skills of roles missions ask for), rounded off with other skills."""
    speciality: list[str] = []
    for _ in range(SPECIALITIES.pick(rng)):
        roles = _roles(category, rng.choice(levels))
        if roles:
            role = rng.choice(roles)
            wanted = list(role.required) + [code for code in role.desired if rng.random() < 0.4]
            speciality += [code for code in wanted if code not in speciality]
    pool = catalogue().skill_pool(category, tuple(sorted(levels, key=LEVEL_ORDER.index)))
    others = [c for c in pool.sample(rng, SKILL_COUNTS.pick(rng)) if c not in speciality]
    codes = speciality + others[: max(1, 6 - len(speciality))]
    return [
        {"code": code, "proficiency": _proficiency(rng, rank, bonus=0.5 if code in speciality else 0.0)}
        for code in codes
    ]


@cache
def _roles(category: Category, level: Level) -> tuple[Role, ...]:
    return tuple(r for theme in THEMES[level] for r in theme.roles if r.category in (None, category))


def _proficiency(rng: random.Random, rank: int, bonus: float) -> int:
    return max(1, min(5, round(rng.gauss(1.6 + 0.55 * rank + bonus, 0.9))))


def _languages(rng: random.Random, nationality: Nationality, culture: Culture, un_staff: bool) -> list[dict]:
    levels: dict[str, int] = {}
    for code in nationality.native:
        levels[code] = 5 if code == culture.mother_tongue else rng.randint(3, 5)
    for code, share in culture.second_languages:
        if code not in levels and rng.random() < share:
            levels[code] = rng.choice((2, 3, 3, 4, 4, 5))
    if un_staff:
        levels["en"] = max(levels.get("en", 0), rng.randint(3, 5))
    return [{"code": code, "level": level} for code, level in levels.items()]


def _availability(rng: random.Random) -> tuple[list[dict], list[dict]]:
    shape = rng.random()
    if shape < 0.6:
        windows = [(days(rng, PERIOD_START, 0, 90), _until(rng))]
    elif shape < 0.85:
        first_end = days(rng, date(2027, 9, 1), 0, 120)
        second_start = days(rng, first_end, 45, 120)
        windows = [(days(rng, PERIOD_START, 0, 45), first_end), (second_start, _until(rng))]
    else:
        start = days(rng, date(2027, 3, 1), 0, 240)
        windows = [(start, days(rng, start, 180, 540))]
    leave = []
    if rng.random() < 0.2:
        start, end = rng.choice(windows)
        leave_start = days(rng, start, 0, max(0, (end - start).days - 30))
        leave.append({"start": leave_start, "end": min(end, leave_start + timedelta(days=rng.randint(14, 30)))})
    return [{"start": s, "end": e} for s, e in windows], leave


def _until(rng: random.Random) -> date:
    """End of availability: most are available until the end of the planning horizon."""
    return PERIOD_END if rng.random() < 0.6 else days(rng, date(2028, 6, 1), 0, 200)


def _screening(rng: random.Random, today: date) -> date | None:
    r = rng.random()
    if r < 0.03:
        return None
    if r < 0.12:
        return today - timedelta(days=rng.randint(1, 365))
    return days(rng, today, 240, 1460)
