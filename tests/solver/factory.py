"""Tiny instances for the solver tests: one mission, a few experts who qualify unless told otherwise."""

from datetime import date, timedelta

from schemas.enums import SCREENING, Category, Gender, Level, Source
from schemas.instance import Expert, Instance, Offer, Parameters, Position

TODAY = date(2027, 1, 1)


def day(n: int) -> date:
    return TODAY + timedelta(days=n)


def expert(id: str = "E1", **kw) -> Expert:
    base = dict(
        id=id,
        nationality="FRA",
        gender=Gender.female,
        category=Category.police,
        source=Source.roster,
        skills={"SSR-POLICY": 3},
        languages={"fr": 3, "en": 4},
        levels=[Level.strategic],
        grade=3,
        notice_days=30,
        credentials={SCREENING: day(2000)},
        member_state="FRA",
    )
    base.update(kw)
    return Expert(**base)


def offer(id: str = "O1", **kw) -> Offer:
    base = dict(
        id=id,
        state="SEN",
        slots=2,
        category=Category.police,
        skills={"SSR-POLICY": 3},
        languages={"fr": 3},
        levels=[Level.strategic],
        grade=3,
        available_from=day(0),
        available_to=day(1500),
        notice_days=30,
        credentials={SCREENING: day(1500)},
    )
    base.update(kw)
    return Offer(**base)


def position(id: str = "P1", **kw) -> Position:
    base = dict(
        id=id,
        request_id="R1",
        mission="MINUSCA",
        host_states=["CAF"],
        priority=3,
        level=Level.strategic,
        category=Category.police,
        grade_min=2,
        grade_max=4,
        required_skills={"SSR-POLICY": 3},
        languages={"fr": 3},
        start=day(100),
        end=day(280),
        credentials=[SCREENING],
    )
    base.update(kw)
    return Position(**base)


def instance(experts=(), positions=(), offers=(), **kw) -> Instance:
    params = kw.pop("parameters", Parameters(time_limit=10))
    return Instance(
        today=TODAY, experts=list(experts), offers=list(offers), positions=list(positions), parameters=params, **kw
    )


def filled(plan) -> dict[str, str]:
    return {a.position_id: a.supplier_id for a in plan.assignments}
