"""The demo gives the solver something to do: supply meets most of the demand, not all of it."""

import pytest

from schemas import instance as si
from schemas.enums import GRADE_RANK, SCREENING, Category, OfferStatus
from seed_data import load_missions
from seed_data.credentials import TYPES
from seed_data.demo import DEFAULT_TODAY, Demo, generate

solver = pytest.importorskip("solver")


def _expert(n: int, e) -> si.Expert:
    return si.Expert(
        id=f"E{n}",
        nationality=e.nationality,
        gender=e.gender,
        category=e.category,
        source=e.source,
        skills={s.code: s.proficiency for s in e.skills},
        languages={lang.code: lang.level for lang in e.languages},
        levels=e.levels,
        grade=GRADE_RANK[e.grade] if e.grade else None,
        notice_days=e.notice_days,
        availability=[si.DateRange(start=w.start, end=w.end) for w in e.availability],
        leave=[si.DateRange(start=w.start, end=w.end) for w in e.leave],
        credentials={c.code: c.expires_on for c in e.credentials}
        | ({SCREENING: e.screening_valid_until} if e.screening_valid_until else {}),
        member_state=e.state,
    )


def _offer(n: int, o) -> si.Offer:
    return si.Offer(
        id=f"O{n}",
        state=o.state,
        kind=o.kind,
        slots=o.slots,
        category=o.category,
        skills={s.code: s.proficiency for s in o.skills},
        languages={lang.code: lang.level for lang in o.languages},
        levels=o.levels,
        available_from=o.available_from,
        available_to=o.available_to,
        max_duration_days=o.max_duration_days,
        notice_days=o.notice_days,
        readiness=o.readiness,
        excluded_missions=o.excluded_missions,
        excluded_states=o.excluded_states,
        credentials={c.code: c.expires_on for c in o.credentials},
    )


def _required(category: Category | None) -> list[str]:
    """The credential types a demo position requires: its category's defaults, as the service gives them."""
    wanted = {category} if category else set(Category)
    return [t.code for t in TYPES if wanted <= set(t.default_for)]


def _seats(r_n: int, r, hosts: dict[str, list[str]]) -> list[si.Position]:
    seats = []
    for p_n, p in enumerate(r.positions, 1):
        for seat in range(1, p.count + 1):
            seats.append(
                si.Position(
                    id=f"P{r_n}.{p_n}-{seat}",
                    request_id=f"R{r_n}",
                    mission=r.mission,
                    host_states=hosts[r.mission],
                    priority=r.priority,
                    deploy_by=r.deploy_by,
                    benchmark=r.benchmark,
                    level=p.level or r.level,
                    category=p.category,
                    grade_min=GRADE_RANK.get(p.grade_min),
                    grade_max=GRADE_RANK.get(p.grade_max),
                    required_skills={s.code: s.min_proficiency for s in p.required_skills},
                    desired_skills={s.code: s.min_proficiency for s in p.desired_skills},
                    languages={lang.code: lang.min_level for lang in p.languages},
                    start=p.start_date,
                    end=p.end_date,
                    group=f"R{r_n}:{p.group}" if p.group else None,
                    all_or_nothing=p.all_or_nothing,
                    same_offer=p.same_offer,
                    credentials=_required(p.category),
                )
            )
    return seats


def _instance(demo: Demo) -> si.Instance:
    hosts = {m.code: m.host_states for m in load_missions()}
    live = (OfferStatus.submitted, OfferStatus.accepted)
    return si.Instance(
        today=DEFAULT_TODAY,
        experts=[_expert(n, e) for n, e in enumerate(demo.experts, 1) if e.active],
        offers=[
            _offer(n, o) for n, o in enumerate(demo.offers, 1) if o.status in live and o.expires_on >= DEFAULT_TODAY
        ],
        positions=[s for n, r in enumerate(demo.requests, 1) for s in _seats(n, r, hosts)],
    )


@pytest.mark.parametrize("seed", [2027, 1, 2])
def test_a_hand_made_plan_fills_most_but_not_all_seats(seed):
    inst = _instance(generate(seed=seed))
    plan = solver.greedy(inst)
    filled = len({a.position_id for a in plan.assignments})
    assert 0.4 <= filled / len(inst.positions) < 0.95, f"{filled} of {len(inst.positions)} seats"
    assert plan.unfilled, "nothing left for the planner to weigh"
