"""Demo capacity requests: what missions ask for, by level of engagement, with their positions."""

import random
from dataclasses import dataclass
from datetime import date, timedelta

from schemas.enums import Benchmark, Category, Level, RequestStatus
from schemas.roster import CapacityRequestCreate, PositionCreate
from seed_data.catalogue import Pool, Repeats, catalogue, days, grade

S, O, T = Level.strategic, Level.operational, Level.tactical
CIV, MIL, POL, JUS = Category.civilian, Category.military, Category.police, Category.justice
LAST_DAY = date(2028, 12, 31)


@dataclass(frozen=True)
class Role:
    """A position template: required skills (one or two are asked for), desired ones, seats."""

    title: str
    category: Category | None
    required: tuple[str, ...]
    desired: tuple[str, ...] = ()
    seats: tuple[int, int] = (1, 1)
    training: bool = False
    team: bool = False


@dataclass(frozen=True)
class Theme:
    title: str
    benchmarks: tuple[str, ...]
    roles: tuple[Role, ...]


THEMES: dict[Level, tuple[Theme, ...]] = {
    S: (
        Theme(
            "Defence sector review and national security strategy",
            ("assessment", "roles", "development"),
            (
                Role(
                    "Senior defence sector reform adviser",
                    CIV,
                    ("DSR-SECTOR-REVIEW", "NSS-DEVELOPMENT"),
                    ("SSR-STRATEGY", "DSR-PRIORITIES", "NATIONAL-DIALOGUE"),
                ),
                Role(
                    "Threat assessment specialist",
                    None,
                    ("DSR-THREAT-ASSESS",),
                    ("DSR-MULTI-ASSESS", "DSR-SECTOR-REVIEW"),
                ),
                Role("Strategy drafting adviser", CIV, ("SSR-STRATEGY", "SSR-GUIDELINES"), ("DEF-POLICY",)),
            ),
        ),
        Theme(
            "Defence legislation and civilian oversight",
            ("oversight-bodies", "roles", "civil-society"),
            (
                Role(
                    "Legal adviser, defence legislation",
                    JUS,
                    ("DEF-LEGISLATION", "GOV-LEGISLATIVE"),
                    ("DEF-POLICY", "LEGISLATIVE-OVERSIGHT"),
                ),
                Role(
                    "Parliamentary oversight adviser",
                    CIV,
                    ("LEGISLATIVE-OVERSIGHT", "CIVILIAN-OVERSIGHT"),
                    ("CIVIL-SOCIETY", "GOV-LEGISLATIVE"),
                ),
                Role("Defence accountability adviser", None, ("DEF-ACCOUNTABILITY",), ("CIVILIAN-OVERSIGHT",)),
            ),
        ),
        Theme(
            "Force structure design and military integration",
            ("ddr-plan", "reorganized", "roles"),
            (
                Role("Force design adviser", MIL, ("FORCE-DESIGN", "DEF-DOCTRINE"), ("DEF-POLICY", "POLICE-MIL-ROLES")),
                Role("Military integration adviser", MIL, ("MIL-INTEGRATION",), ("DDR-DESIGN", "FORCE-DESIGN")),
                Role("DDR programme design adviser", CIV, ("DDR-DESIGN", "DDR-SSR-EXPERTISE"), ("MIL-INTEGRATION",)),
            ),
        ),
        Theme(
            "Reform priorities, sequencing and partner coordination",
            ("donors", "assessment", "development"),
            (
                Role("SSR coordination officer", CIV, ("SSR-COORDINATION", "CAPACITY-MATCHING"), ("DSR-PRIORITIES",)),
                Role("Reform sequencing adviser", None, ("SSR-SEQUENCING", "DSR-PRIORITIES"), ("SSR-MONITORING",)),
                Role("Monitoring and evaluation specialist", CIV, ("SSR-MONITORING",), ("SSR-COORDINATION",)),
            ),
        ),
        Theme(
            "Defence policy and doctrine review",
            ("standards", "reorganized"),
            (
                Role("Defence policy adviser", CIV, ("DEF-POLICY",), ("SSR-GUIDELINES", "DEF-FINANCE")),
                Role("Doctrine adviser", MIL, ("DEF-DOCTRINE",), ("FORCE-DESIGN", "LEADER-TRAINING")),
                Role("Defence finance adviser", CIV, ("DEF-FINANCE",), ("DEF-POLICY",)),
            ),
        ),
    ),
    O: (
        Theme(
            "Payroll and human resource systems for the armed forces",
            ("payment", "equipment"),
            (
                Role("Payroll systems adviser", CIV, ("PAYROLL", "ADMIN-FIN-SYSTEMS"), ("DEF-FINANCE", "HR-SYSTEMS")),
                Role("Human resource systems adviser", None, ("HR-SYSTEMS", "RECRUITMENT"), ("ID-CARDS",)),
                Role("Identification card project officer", None, ("ID-CARDS",), ("HR-SYSTEMS",), seats=(1, 2)),
            ),
        ),
        Theme(
            "Procurement and logistics systems",
            ("procurement", "equipment", "support"),
            (
                Role("Procurement adviser", CIV, ("PROCUREMENT",), ("ADMIN-FIN-SYSTEMS", "DEF-FINANCE")),
                Role(
                    "Logistics officer",
                    MIL,
                    ("LOGISTICS", "MATERIEL-LIFECYCLE"),
                    ("PROCUREMENT", "DEF-PLANNING"),
                    (1, 2),
                ),
                Role("Defence planning officer", MIL, ("DEF-PLANNING",), ("RESOURCE-PLANNING",)),
            ),
        ),
        Theme(
            "Barracks and training centre rehabilitation",
            ("procurement", "equipment", "support"),
            (
                Role("Engineering advisory team", MIL, ("BARRACKS",), ("FACILITIES-RESTORATION",), (3, 5), team=True),
                Role("Training centre planner", MIL, ("TRAINING-CENTRES",), ("BARRACKS", "RESOURCE-PLANNING")),
                Role("Facilities restoration engineer", None, ("FACILITIES-RESTORATION",), ("BARRACKS",), (1, 2)),
            ),
        ),
        Theme(
            "Oversight mechanisms and public information",
            ("oversight", "public-info", "confidence", "civil-society"),
            (
                Role(
                    "Oversight mechanisms adviser",
                    CIV,
                    ("OVERSIGHT-MECHANISMS",),
                    ("LEGISLATIVE-OVERSIGHT", "CIVIL-SOCIETY"),
                ),
                Role("Public information officer", CIV, ("PUBLIC-INFORMATION",), ("CIVIL-SOCIETY",)),
                Role("Civil society liaison officer", None, ("CIVIL-SOCIETY",), ("PUBLIC-INFORMATION",)),
            ),
        ),
        Theme(
            "Training and reorganization plan",
            ("assessment", "reorganized", "ddr-plan"),
            (
                Role("Reorganization planner", MIL, ("REORGANIZATION", "DEF-PLANNING"), ("RESOURCE-PLANNING",)),
                Role("Resource planning adviser", CIV, ("RESOURCE-PLANNING", "DEF-FINANCE"), ("DDR-COORDINATION",)),
                Role("DDR coordination officer", None, ("DDR-COORDINATION",), ("REORGANIZATION",)),
                Role("Recruitment and selection adviser", None, ("RECRUITMENT",), ("HR-SYSTEMS",)),
            ),
        ),
    ),
    T: (
        Theme(
            "Human rights and IHL training for the armed forces",
            ("trainees", "standards", "confidence"),
            (
                Role(
                    "Human rights and IHL trainers",
                    MIL,
                    ("HUMAN-RIGHTS-TRAINING", "IHL-TRAINING"),
                    ("INSTRUCTION", "CHILD-PROTECTION"),
                    training=True,
                ),
                Role("Course director", None, ("INSTRUCTION",), ("HUMAN-RIGHTS-TRAINING",)),
            ),
        ),
        Theme(
            "Protection of civilians and child protection training",
            ("trainees", "confidence"),
            (
                Role(
                    "Protection of civilians trainers",
                    None,
                    ("POC-TRAINING", "CHILD-PROTECTION"),
                    ("HUMANITARIAN-RESPONSE",),
                    training=True,
                ),
                Role("Gender-based violence prevention specialist", POL, ("GBV-PREVENTION",), ("GENDER-TRAINING",)),
                Role("Child protection adviser", CIV, ("CHILD-PROTECTION",), ("HUMAN-RIGHTS-TRAINING",)),
            ),
        ),
        Theme(
            "Mentoring of integrated brigades",
            ("trainees", "small-units", "reorganized"),
            (
                Role(
                    "Brigade mentoring team",
                    MIL,
                    ("MENTORING", "SMALL-UNIT-EXERCISES"),
                    ("NON-OFFENSIVE-TRAINING",),
                    (4, 6),
                    team=True,
                ),
                Role(
                    "Infantry instructors",
                    MIL,
                    ("INFANTRY-TRAINING",),
                    ("NON-OFFENSIVE-TRAINING", "INSTRUCTION"),
                    training=True,
                ),
            ),
        ),
        Theme(
            "DDR implementation and integration of ex-combatants",
            ("ddr-plan", "reorganized"),
            (
                Role("DDR field officer", None, ("DDR-IMPLEMENTATION",), ("MIL-INTEGRATION",), (1, 3)),
                Role("Integration mentor", MIL, ("MIL-INTEGRATION", "MENTORING"), ("DISCIPLINE-STANDARDS",), (2, 4)),
            ),
        ),
        Theme(
            "Discipline, professional standards and gender training",
            ("standards", "confidence"),
            (
                Role(
                    "Professional standards mentor",
                    None,
                    ("DISCIPLINE-STANDARDS",),
                    ("MENTORING", "LEADER-TRAINING"),
                    (1, 3),
                ),
                Role(
                    "Gender trainers",
                    POL,
                    ("GENDER-TRAINING", "GBV-PREVENTION"),
                    ("HUMAN-RIGHTS-TRAINING",),
                    training=True,
                ),
                Role("Leadership course instructor", MIL, ("LEADER-TRAINING", "INSTRUCTION")),
            ),
        ),
    ),
}
# Working language of the host authorities, which positions require.
MISSION_LANGUAGE = {
    "MONUSCO": "fr",
    "MINUSCA": "fr",
    "BINUH": "fr",
    "UNOCA": "fr",
    "UNOWAS": "fr",
    "UNSMIL": "ar",
    "UNSCOL": "ar",
    "UNVMC": "es",
}
# How often a position requires the host's language rather than English (advisers can work through interpreters).
LOCAL_LANGUAGE_SHARE = {S: 0.6, O: 0.8, T: 1.0}
# Missions whose mandates touch the defence sector, and how often they ask for support.
MISSION_WEIGHT = {
    "MONUSCO": 6,
    "MINUSCA": 6,
    "UNMISS": 5,
    "UNIFIL": 3,
    "BINUH": 3,
    "UNSMIL": 2,
    "UNISFA": 2,
    "UNAMA": 2,
    "UNVMC": 2,
    "UNOWAS": 1,
    "UNOCA": 1,
    "UNSCOL": 1,
}
# Benchmarks of the defence-sector chapter (5.7.2), which requests are tied to.
BENCHMARK_NOTES: dict[str, tuple[Benchmark, str]] = {
    "assessment": (
        Benchmark.short_term,
        "Assessment completed, training and reorganization plan accepted by host government and military authorities.",
    ),
    "procurement": (Benchmark.short_term, "Procurement for equipment and facilities initiative finalized."),
    "trainees": (Benchmark.short_term, "Trainees selected, and trainers and mentors deployed."),
    "standards": (Benchmark.short_term, "Standards agreed."),
    "ddr-plan": (Benchmark.short_term, "Plan coordinated in support of DDR."),
    "roles": (Benchmark.short_term, "Roles and responsibilities of the police and military delineated."),
    "equipment": (
        Benchmark.medium_term,
        "Essential equipment and facilities procured and available, and "
        "administrative and financial systems in place and functioning.",
    ),
    "oversight": (Benchmark.medium_term, "Oversight mechanisms in place and functioning."),
    "payment": (Benchmark.medium_term, "Payment and human resource systems in place and functioning."),
    "public-info": (
        Benchmark.medium_term,
        "National and international expectations managed effectively through a "
        "public information strategy supporting the process.",
    ),
    "donors": (
        Benchmark.medium_term,
        "Agreement within the donor community to prevent overlapping priorities and efforts.",
    ),
    "small-units": (Benchmark.medium_term, "Military able to conduct small unit exercises."),
    "reorganized": (
        Benchmark.long_term,
        "Military reorganized and able to conduct operations in accordance with plan.",
    ),
    "support": (
        Benchmark.long_term,
        "Support structure for the military established and functioning with limited international assistance.",
    ),
    "confidence": (Benchmark.long_term, "Public confidence in the military restored."),
    "oversight-bodies": (
        Benchmark.long_term,
        "Oversight bodies are functioning and capable of leading, challenging, "
        "reproaching and controlling the military.",
    ),
    "development": (
        Benchmark.long_term,
        "National and international policies and responses are better "
        "integrated with long-term development frameworks.",
    ),
    "civil-society": (Benchmark.long_term, "Meaningful input by civil society actors established and legitimized."),
}
LEVELS = Pool.of({S: 35, O: 35, T: 30})
PRIORITIES = Pool.of({1: 15, 2: 25, 3: 30, 4: 20, 5: 10})
STATUSES = Pool.of({RequestStatus.submitted: 75, RequestStatus.planning: 15, RequestStatus.draft: 10})
# Grade range (ranks on the ladder of equivalence) by level: choices for the bottom and the top.
GRADE_RANGE = {S: ((3, 4), (5, 6)), O: ((2, 3), (4, 5)), T: ((1, 2), (3, 4))}
TRAINEES = (58, 87, 116, 145, 174, 232, 290)
TRAINER_RATIOS = (29, 29, 29, 20, 25, 30)
DURATIONS = (90, 180, 180, 270, 365, 365, 540)


def make_requests(rng: random.Random, count: int, today: date) -> list[CapacityRequestCreate]:
    """count demo capacity requests for active missions, drawn from rng."""
    active = catalogue().active_missions
    missions = Pool.of({code: weight for code, weight in MISSION_WEIGHT.items() if code in active})
    repeats = Repeats()
    return [make_request(rng, today, missions.pick(rng), n, repeats) for n in range(1, count + 1)]


def make_request(rng: random.Random, today: date, mission: str, number: int, repeats: Repeats) -> CapacityRequestCreate:
    """One request; (mission, title) is unique among those made with the same repeats."""
    cat = catalogue()
    level = LEVELS.pick(rng)
    theme = rng.choice(THEMES[level])
    phase = repeats.number(mission, theme.title)
    deploy_by = days(rng, today, 30, 270)
    benchmark, note = BENCHMARK_NOTES[rng.choice(theme.benchmarks)] if rng.random() < 0.8 else (None, "")
    hosts = ", ".join(cat.state_names[h] for h in cat.mission_hosts[mission])
    roles = [r for r in theme.roles if rng.random() < 0.75] or [theme.roles[0]]
    return CapacityRequestCreate(
        mission=mission,
        title=theme.title if phase == 1 else f"{theme.title}, phase {phase}",
        description=f"{theme.title}: support to the authorities of {hosts} under the mandate of "
        f"the {cat.mission_names[mission]}.",
        level=level,
        priority=PRIORITIES.pick(rng),
        deploy_by=deploy_by,
        benchmark=benchmark,
        benchmark_note=note,
        status=STATUSES.pick(rng),
        positions=[_position(rng, role, level, mission, deploy_by, f"{mission}-{number}-team") for role in roles],
    )


def _position(
    rng: random.Random, role: Role, level: Level, mission: str, deploy_by: date, group: str
) -> PositionCreate:
    start = deploy_by + timedelta(days=rng.randint(0, 21))
    end = min(LAST_DAY, start + timedelta(days=rng.choice(DURATIONS) - 1))
    required = list(role.required) if rng.random() < 0.4 else [role.required[0]]
    desired = [code for code in role.desired if rng.random() < 0.6]
    fields: dict = {}
    if role.training:
        fields = {"trainees": rng.choice(TRAINEES), "trainer_ratio": rng.choice(TRAINER_RATIOS)}
    else:
        fields = {"count": rng.randint(*role.seats)}
    if role.team:
        fields |= {"group": group, "all_or_nothing": True, "same_offer": rng.random() < 0.5}
    return PositionCreate.model_validate(
        dict(
            title=role.title,
            level=level,
            category=role.category,
            start_date=start,
            end_date=end,
            required_skills=[{"code": c, "min_proficiency": rng.choice((2, 2, 3, 3, 4))} for c in required],
            desired_skills=[{"code": c, "min_proficiency": 3} for c in desired],
            languages=_languages(rng, mission, level, role.training),
            **_grades(rng, role.category, level),
            **fields,
        )
    )


def _grades(rng: random.Random, category: Category | None, level: Level) -> dict:
    if rng.random() < 0.45:
        return {}
    bottoms, tops = GRADE_RANGE[level]
    ladder = category or Category.civilian
    return {"grade_min": grade(ladder, rng.choice(bottoms)), "grade_max": grade(ladder, rng.choice(tops))}


def _languages(rng: random.Random, mission: str, level: Level, trainer: bool) -> list[dict]:
    """The host's working language, which advisers may work around through interpretation, trainers not."""
    local = MISSION_LANGUAGE.get(mission, "en")
    if local != "en" and rng.random() > LOCAL_LANGUAGE_SHARE[level]:
        return [{"code": "en", "min_level": 3}]
    languages = [{"code": local, "min_level": 4 if trainer and local == "en" else 3}]
    if local != "en" and level == S and rng.random() < 0.4:
        languages.append({"code": "en", "min_level": 3})
    return languages
