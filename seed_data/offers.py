"""Demo Member State offers: individual secondees and advisory, training and mentoring teams."""

import random
from dataclasses import dataclass
from datetime import date, timedelta

from schemas.enums import Category, CostBearer, Level, OfferKind, OfferStatus, Readiness
from schemas.roster import OfferCreate
from seed_data.catalogue import LEVEL_ORDER, Pool, Repeats, catalogue, days, nationality_for
from seed_data.names import CULTURES, Nationality

S, O, T = Level.strategic, Level.operational, Level.tactical


@dataclass(frozen=True)
class Package:
    """What a Member State typically offers: a titled bundle of skills at given levels."""

    title: str
    kind: OfferKind
    categories: tuple[Category, ...]
    skills: tuple[str, ...]
    levels: tuple[Level, ...]
    slots: tuple[int, int]


PACKAGES = (
    Package(
        "Mobile training team: human rights and IHL",
        OfferKind.team,
        (Category.military,),
        ("HUMAN-RIGHTS-TRAINING", "IHL-TRAINING", "INSTRUCTION"),
        (T,),
        (6, 20),
    ),
    Package(
        "Mentoring team for integrated brigades",
        OfferKind.team,
        (Category.military,),
        ("MENTORING", "SMALL-UNIT-EXERCISES", "NON-OFFENSIVE-TRAINING"),
        (O, T),
        (8, 30),
    ),
    Package(
        "Protection of civilians training team",
        OfferKind.team,
        (Category.military, Category.police),
        ("POC-TRAINING", "CHILD-PROTECTION", "GBV-PREVENTION"),
        (T,),
        (4, 12),
    ),
    Package(
        "Basic infantry training team",
        OfferKind.team,
        (Category.military,),
        ("INFANTRY-TRAINING", "NON-OFFENSIVE-TRAINING", "INSTRUCTION"),
        (O, T),
        (10, 40),
    ),
    Package(
        "Gender and GBV prevention trainers",
        OfferKind.team,
        (Category.police, Category.civilian),
        ("GENDER-TRAINING", "GBV-PREVENTION", "HUMAN-RIGHTS-TRAINING"),
        (T,),
        (3, 8),
    ),
    Package(
        "Pre-deployment training instructors",
        OfferKind.team,
        (Category.military,),
        ("PRE-DEPLOYMENT", "INSTRUCTION", "IHL-TRAINING"),
        (O, T),
        (4, 12),
    ),
    Package(
        "Discipline and professional standards mentors",
        OfferKind.team,
        (Category.corrections, Category.police),
        ("DISCIPLINE-STANDARDS", "MENTORING", "HUMAN-RIGHTS-TRAINING"),
        (T,),
        (3, 10),
    ),
    Package(
        "Engineering advisers: barracks and training centres",
        OfferKind.team,
        (Category.military,),
        ("BARRACKS", "TRAINING-CENTRES", "FACILITIES-RESTORATION"),
        (O,),
        (3, 10),
    ),
    Package(
        "Security sector review team",
        OfferKind.team,
        (Category.civilian,),
        ("DSR-SECTOR-REVIEW", "DSR-THREAT-ASSESS", "NSS-DEVELOPMENT"),
        (S,),
        (3, 6),
    ),
    Package(
        "Defence finance and payroll advisers",
        OfferKind.individual,
        (Category.civilian,),
        ("DEF-FINANCE", "PAYROLL", "ADMIN-FIN-SYSTEMS"),
        (O,),
        (1, 4),
    ),
    Package(
        "Procurement and logistics advisers",
        OfferKind.individual,
        (Category.military, Category.civilian),
        ("PROCUREMENT", "LOGISTICS", "MATERIEL-LIFECYCLE"),
        (O,),
        (1, 4),
    ),
    Package(
        "Defence policy and legislation adviser",
        OfferKind.individual,
        (Category.civilian, Category.justice),
        ("DEF-POLICY", "DEF-LEGISLATION", "GOV-LEGISLATIVE"),
        (S,),
        (1, 2),
    ),
    Package(
        "DDR and military integration advisers",
        OfferKind.individual,
        (Category.military, Category.civilian),
        ("DDR-DESIGN", "MIL-INTEGRATION", "DDR-SSR-EXPERTISE"),
        (S,),
        (1, 3),
    ),
    Package(
        "Human resources and recruitment advisers",
        OfferKind.individual,
        (Category.civilian, Category.military),
        ("HR-SYSTEMS", "RECRUITMENT", "ID-CARDS"),
        (O,),
        (1, 3),
    ),
    Package(
        "Force design and doctrine adviser",
        OfferKind.individual,
        (Category.military,),
        ("FORCE-DESIGN", "DEF-DOCTRINE", "SSR-STRATEGY"),
        (S,),
        (1, 2),
    ),
    Package(
        "Civilian oversight advisers",
        OfferKind.individual,
        (Category.civilian, Category.justice),
        ("CIVILIAN-OVERSIGHT", "LEGISLATIVE-OVERSIGHT", "DEF-ACCOUNTABILITY"),
        (S,),
        (1, 3),
    ),
)
# Training and mentoring teams are what Member States offer most (Annex I: they are better suited to it).
PACKAGE_POOL = Pool.of({p: 3 if Level.tactical in p.levels else 1 for p in PACKAGES})
READINESS_NOTICE = {
    Readiness.pledged: (60, 120),
    Readiness.assessed: (45, 90),
    Readiness.ready: (30, 60),
    Readiness.rapid_deployment: (14, 45),
}
READINESS = Pool.of(
    {
        Readiness.pledged: 25,
        Readiness.assessed: 25,
        Readiness.ready: 30,
        Readiness.rapid_deployment: 20,
    }
)
STATUSES = Pool.of(
    {
        OfferStatus.submitted: 50,
        OfferStatus.accepted: 25,
        OfferStatus.draft: 8,
        OfferStatus.withdrawn: 7,
        OfferStatus.expired: 10,
    }
)
COST_BEARERS = Pool.of({CostBearer.member_state: 60, CostBearer.shared: 25, CostBearer.united_nations: 15})


def make_offers(rng: random.Random, count: int, today: date) -> list[OfferCreate]:
    """count demo offers, drawn from rng."""
    repeats = Repeats()
    return [make_offer(rng, today, repeats) for _ in range(count)]


def make_offer(rng: random.Random, today: date, repeats: Repeats) -> OfferCreate:
    """One offer; (state, title) is unique among those made with the same repeats."""
    package = PACKAGE_POOL.pick(rng)
    state = nationality_for(rng)
    state_name = catalogue().state_names[state.iso3]
    rotation = repeats.number(state.iso3, package.title)
    readiness = READINESS.pick(rng)
    status = STATUSES.pick(rng)
    available_from = days(rng, today, 0, 120)
    return OfferCreate.model_validate(
        dict(
            title=f"{package.title} ({state_name}{'' if rotation == 1 else f', rotation {rotation}'})",
            kind=package.kind,
            slots=rng.randint(*package.slots),
            category=rng.choice(package.categories),
            available_from=available_from,
            available_to=days(rng, available_from, 365, 900),
            max_duration_days=rng.choice((180, 270, 365)) if rng.random() < 0.25 else None,
            readiness=readiness,
            cost_bearer=COST_BEARERS.pick(rng),
            notice_days=rng.randint(*READINESS_NOTICE[readiness]),
            expires_on=(today - timedelta(days=rng.randint(1, 120)))
            if status == OfferStatus.expired
            else days(rng, today, 90, 540),
            state=state.iso3,
            status=status,
            skills=[{"code": code, "proficiency": rng.randint(3, 5)} for code in _skills(rng, package)],
            levels=sorted(package.levels, key=LEVEL_ORDER.index),
            languages=_languages(rng, state),
            **_caveats(rng, state.iso3),
        )
    )


def _skills(rng: random.Random, package: Package) -> list[str]:
    return list(package.skills) if rng.random() < 0.85 else rng.sample(package.skills, 2)


def _languages(rng: random.Random, state: Nationality) -> list[dict]:
    """The team's working languages: the state's own, English, and what its officers often speak."""
    levels = dict.fromkeys(state.native, 5)
    levels.setdefault("en", rng.randint(3, 4))
    for code, share in CULTURES[state.culture].second_languages:
        if code not in levels and rng.random() < share:
            levels[code] = rng.randint(3, 4)
    return [{"code": code, "level": level} for code, level in levels.items()]


def _caveats(rng: random.Random, own_state: str) -> dict:
    cat = catalogue()
    caveats: dict = {}
    if rng.random() < 0.2:
        caveats["excluded_missions"] = rng.sample(cat.active_missions, rng.randint(1, 2))
    if rng.random() < 0.15:
        hosts = sorted({h for m in cat.active_missions for h in cat.mission_hosts[m]} - {own_state})
        caveats["excluded_states"] = [rng.choice(hosts)]
    return caveats
