"""Seeded synthetic instances of named sizes for the benchmark and the tests."""

import argparse
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from schemas.enums import SCREENING, Benchmark, Category, Gender, Level, Readiness, Source
from schemas.instance import DateRange, Deployment, Expert, Instance, Offer, Parameters, Position

TODAY = date(2027, 1, 4)
SKILLS = [
    f"{a}-{b}"
    for b in ("PLAN", "POLICY", "TRAIN", "ADV", "OPS", "LAW", "AUDIT", "ICT", "MED", "ENG")
    for a in (
        "SSR",
        "DDR",
        "DSR",
        "POL",
        "JUS",
        "COR",
        "LOG",
        "HR",
        "FIN",
        "IHL",
        "ROL",
        "PSS",
        "HRM",
        "PROC",
        "GEN",
        "CPR",
        "POC",
        "SGBV",
        "BDR",
        "INT",
    )
]
LANGS = ["en", "fr", "ar", "es", "pt", "ru"]
LANG_P = [0.9, 0.4, 0.15, 0.15, 0.08, 0.08]
STATES = [
    "ARG",
    "BGD",
    "BRA",
    "CAN",
    "CHN",
    "DEU",
    "EGY",
    "ESP",
    "ETH",
    "FIN",
    "FRA",
    "GBR",
    "GHA",
    "IDN",
    "IND",
    "ITA",
    "JOR",
    "JPN",
    "KEN",
    "MAR",
    "MEX",
    "NGA",
    "NLD",
    "NOR",
    "NPL",
    "PAK",
    "PER",
    "POL",
    "RWA",
    "SEN",
    "SWE",
    "TUR",
    "URY",
    "USA",
    "ZAF",
    "KOR",
    "AUS",
    "CHL",
    "IRL",
    "TUN",
]
MISSIONS = [
    ("MINUSCA", "CAF", "fr"),
    ("MONUSCO", "COD", "fr"),
    ("UNMISS", "SSD", "en"),
    ("MINUSMA", "MLI", "fr"),
    ("UNISFA", "SDN", "ar"),
    ("UNMIK", "SRB", "en"),
    ("UNSMIL", "LBY", "ar"),
    ("UNAMA", "AFG", "en"),
]
CATS = list(Category)
CAT_P = [0.45, 0.2, 0.25, 0.05, 0.05]


@dataclass(frozen=True)
class Size:
    experts: int
    offers: int
    positions: int
    skills: int = 60
    group_share: float = 0.1
    horizon_days: int = 730
    families: int = 0  # > 0: the skills split into this many families that share no expert, offer or seat


SIZES = {
    "small": Size(60, 8, 40, skills=12),
    "realistic": Size(2000, 300, 1500),
    "tight": Size(300, 30, 700, skills=24, group_share=0.3),
    "large": Size(20000, 1500, 5000, skills=200),
    "dense": Size(20000, 1500, 5000, skills=80),
    "huge": Size(100000, 5000, 20000, skills=200),
    # large's counts, split as real rosters split: 8 families of 25 skills, each served in 2 missions, so that
    # seats of different families share no candidate (a family's seats see as many candidates as large's do)
    "regional": Size(20000, 1500, 5000, skills=200, families=8),
}
DEFAULT_SIZES = ["small", "realistic", "tight", "large"]


def parse_sizes(text: str) -> list[str]:
    """``--sizes a,b``: known size names, in order (an argparse type: a ValueError names the known ones)."""
    names = [n for n in text.split(",") if n]
    unknown = [n for n in names if n not in SIZES]
    if unknown or not names:
        raise argparse.ArgumentTypeError(
            f"unknown size(s) {', '.join(unknown) or text!r}; choose from {', '.join(SIZES)}"
        )
    return names


def sizes_parser(section: str, doc: str, defaults: list[str]) -> argparse.ArgumentParser:
    """A section's options: ``--sizes`` (``python -m bench --help`` lists them too)."""
    parser = argparse.ArgumentParser(prog=f"python -m bench {section}", description=doc.splitlines()[0])
    parser.add_argument(
        "--sizes",
        type=parse_sizes,
        default=",".join(defaults),
        metavar="A,B",
        help="instances to run, comma-separated",
    )
    return parser


def _day(offset: int) -> date:
    return TODAY + timedelta(days=int(offset))


def _skills(rng, pool: list[str], n: int, lo: int = 1) -> dict[str, int]:
    return {c: int(rng.integers(lo, 6)) for c in rng.choice(pool, size=n, replace=False)}


def _languages(rng) -> dict[str, int]:
    out = {c: int(rng.integers(2, 6)) for c, p in zip(LANGS, LANG_P) if rng.random() < p}
    return out or {"en": 3}


def _levels(rng) -> list[Level]:
    k = int(rng.integers(1, 3))
    return [Level(x) for x in rng.choice(list(Level), size=k, replace=False)]


def _expert(rng, i: int, pool: list[str]) -> Expert:
    nat = str(rng.choice(STATES))
    source = Source(rng.choice(list(Source), p=[0.05, 0.7, 0.25]))
    avail = []
    if rng.random() < 0.3:
        a = int(rng.integers(-30, 400))
        avail = [DateRange(start=_day(a), end=_day(a + int(rng.integers(180, 900))))]
    leave = []
    if rng.random() < 0.2:
        a = int(rng.integers(0, 700))
        leave = [DateRange(start=_day(a), end=_day(a + int(rng.integers(7, 60))))]
    screened = rng.random() < 0.92
    return Expert(
        id=f"E{i}",
        nationality=nat,
        gender=Gender.female if rng.random() < 0.38 else Gender.male,
        category=Category(rng.choice(CATS, p=CAT_P)),
        source=source,
        skills=_skills(rng, pool, int(rng.integers(4, 9))),
        languages=_languages(rng),
        levels=_levels(rng),
        grade=None if rng.random() < 0.1 else int(rng.integers(1, 7)),
        notice_days=7 if source == Source.standing_capacity else int(rng.integers(14, 90)),
        availability=avail,
        leave=leave,
        credentials={SCREENING: _day(int(rng.integers(200, 1500)))} if screened else {},
        member_state=None if source == Source.standing_capacity else nat,
    )


OFFERS_SCREENED = date(9999, 12, 31)  # offers attest the screening for their whole team, as they always did here


def _offer(rng, i: int, pool: list[str]) -> Offer:
    a = int(rng.integers(-60, 200))
    return Offer(
        id=f"O{i}",
        state=str(rng.choice(STATES)),
        kind="team" if rng.random() < 0.4 else "individual",
        slots=int(rng.choice([1, 2, 3, 4, 6, 8], p=[0.25, 0.2, 0.2, 0.15, 0.12, 0.08])),
        category=Category(rng.choice(CATS, p=CAT_P)),
        skills=_skills(rng, pool, int(rng.integers(2, 5)), 2),
        languages=_languages(rng),
        levels=_levels(rng),
        grade=int(rng.integers(1, 7)),
        available_from=_day(a),
        available_to=_day(a + int(rng.integers(365, 900))),
        max_duration_days=None if rng.random() < 0.5 else int(rng.integers(180, 730)),
        notice_days=int(rng.integers(14, 90)),
        readiness=Readiness(rng.choice(list(Readiness))),
        excluded_missions=[MISSIONS[int(rng.integers(len(MISSIONS)))][0]] if rng.random() < 0.1 else [],
        credentials={SCREENING: OFFERS_SCREENED},
    )


def _position(rng, i: int, req: int, pool: list[str], size: Size) -> Position:
    mission, host, lang = MISSIONS[int(rng.integers(len(MISSIONS)))]
    start = int(rng.integers(30, size.horizon_days - 60))
    dur = int(rng.integers(60, 540))
    g = int(rng.integers(1, 6)) if rng.random() < 0.5 else None
    return Position(
        id=f"P{i}",
        request_id=f"R{req}",
        mission=mission,
        host_states=[host],
        priority=int(rng.integers(1, 6)),
        deploy_by=_day(start) if rng.random() < 0.2 else None,
        benchmark=Benchmark(rng.choice(list(Benchmark))) if rng.random() < 0.5 else None,
        level=Level(rng.choice(list(Level))),
        category=Category(rng.choice(CATS, p=CAT_P)) if rng.random() < 0.5 else None,
        grade_min=g,
        grade_max=None if g is None else g + 2,
        required_skills={
            c: int(rng.integers(2, 4)) for c in rng.choice(pool, size=1 + int(rng.random() < 0.35), replace=False)
        },
        desired_skills=dict.fromkeys(rng.choice(pool, size=int(rng.integers(0, 3)), replace=False), 3),
        languages={lang: int(rng.integers(2, 4))},
        start=_day(start),
        end=_day(start + dur),
        credentials=[SCREENING],
    )


def _groups(rng, positions: list[Position], share: float) -> None:
    i = 0
    while i < len(positions) - 4:
        if rng.random() < share / 3:
            n = int(rng.integers(2, 5))
            aon, same = rng.random() < 0.5, rng.random() < 0.3
            base = positions[i]
            for p in positions[i : i + n]:
                p.group, p.all_or_nothing, p.same_offer = f"G{i}", aon, same
                p.request_id, p.mission, p.host_states = base.request_id, base.mission, base.host_states
                p.start, p.end, p.priority, p.languages = base.start, base.end, base.priority, base.languages
            i += n
        else:
            i += 1


def _deployments(rng, experts: list[Expert]) -> list[Deployment]:
    return [
        Deployment(supplier_id=e.id, start=_day(int(rng.integers(-200, 0))), end=_day(int(rng.integers(30, 400))))
        for e in experts
        if rng.random() < 0.1
    ]


def _instance(rng, experts: list[Expert], offers: list[Offer], positions: list[Position], req: int) -> Instance:
    deployments = _deployments(rng, experts)
    targets = {f"R{r}": float(rng.choice([0.3, 0.4, 0.5])) for r in range(1, req + 1) if rng.random() < 0.2}
    return Instance(
        today=TODAY,
        experts=experts,
        offers=offers,
        positions=positions,
        deployments=deployments,
        parameters=Parameters(gender_targets=targets),
    )


def _share(total: int, parts: int, k: int) -> range:
    """The k-th of ``parts`` near-equal consecutive slices of 1..total."""
    return range(1 + total * k // parts, 1 + total * (k + 1) // parts)


def _regional(rng, size: Size) -> Instance:
    """Families of skills, each with its own experts, offers and seats (served in two missions of its own)."""
    experts, offers, positions, req = [], [], [], 0
    per = size.skills // size.families
    for f in range(size.families):
        pool = SKILLS[f * per : (f + 1) * per]
        experts += [_expert(rng, i, pool) for i in _share(size.experts, size.families, f)]
        offers += [_offer(rng, i, pool) for i in _share(size.offers, size.families, f)]
        missions = [MISSIONS[f % len(MISSIONS)], MISSIONS[(f + 3) % len(MISSIONS)]]
        family = []
        for n, i in enumerate(_share(size.positions, size.families, f)):
            if n == 0 or rng.random() < 0.35:
                req += 1
            p = _position(rng, i, req, pool, size)
            p.mission, host, lang = missions[int(rng.integers(2))]
            p.host_states, p.languages = [host], {lang: next(iter(p.languages.values()))}
            family.append(p)
        _groups(rng, family, size.group_share)
        for p in family:
            p.group = f"F{f}-{p.group}" if p.group else None
        positions += family
    return _instance(rng, experts, offers, positions, req)


def generate(name: str, seed: int = 0) -> Instance:
    size = SIZES[name]
    rng = np.random.default_rng(seed)
    if size.families:
        return _regional(rng, size)
    pool = SKILLS[: size.skills]
    experts = [_expert(rng, i, pool) for i in range(1, size.experts + 1)]
    offers = [_offer(rng, i, pool) for i in range(1, size.offers + 1)]
    positions, req = [], 0
    for i in range(1, size.positions + 1):
        if i == 1 or rng.random() < 0.35:
            req += 1
        positions.append(_position(rng, i, req, pool, size))
    _groups(rng, positions, size.group_share)
    return _instance(rng, experts, offers, positions, req)
