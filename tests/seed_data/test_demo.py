"""The demo roster generator: valid, deterministic, consistent with the reference data, plausible."""

import json
import math
import os
import subprocess
import sys
from collections import Counter
from datetime import date
from pathlib import Path

import pytest

import seed_data
from schemas.enums import GRADE_RANK, Category, Level, OfferStatus, Source
from schemas.roster import CapacityRequestCreate, ExpertCreate, OfferCreate
from seed_data import load_member_states, load_missions, load_skills
from seed_data.demo import DEFAULT_TODAY, generate
from tests.seed_data.sources import chapter_text

FRANCOPHONE = {"MONUSCO", "MINUSCA", "BINUH"}


@pytest.fixture(scope="module")
def demo():
    return generate()


@pytest.fixture(scope="module")
def skill_levels() -> dict[str, set[Level]]:
    return {s.code: set(s.levels) for s in load_skills()}


@pytest.fixture(scope="module")
def missions():
    return {m.code: m for m in load_missions()}


def _positions(demo):
    return [(r, p) for r in demo.requests for p in r.positions]


def test_default_sizes(demo):
    assert (len(demo.experts), len(demo.offers), len(demo.requests)) == (400, 40, 30)
    assert sum(len(r.positions) for r in demo.requests) >= 40


def test_every_object_validates_through_the_models(demo):
    for expert in demo.experts:
        assert ExpertCreate.model_validate(expert.model_dump()) == expert
    for offer in demo.offers:
        assert OfferCreate.model_validate(offer.model_dump()) == offer
    for request in demo.requests:
        assert CapacityRequestCreate.model_validate(request.model_dump()) == request


def test_same_seed_same_data(demo):
    assert json.dumps(generate().as_json(), sort_keys=True) == json.dumps(demo.as_json(), sort_keys=True)


def test_different_seeds_differ(demo):
    other = generate(seed=7).as_json()
    mine = demo.as_json()
    for kind in ("experts", "offers", "requests"):
        assert other[kind] != mine[kind], kind


def test_more_experts_leave_offers_and_requests_unchanged(demo):
    small = generate(experts=25)
    assert small.experts == demo.experts[:25]
    assert small.offers == demo.offers
    assert small.requests == demo.requests


def test_skill_codes_used_exist(demo, skill_levels):
    used = {s.code for e in demo.experts for s in e.skills}
    used |= {s.code for o in demo.offers for s in o.skills}
    for _, p in _positions(demo):
        used |= {s.code for s in p.required_skills + p.desired_skills}
    assert used - set(skill_levels) == set()
    assert len(used) >= 40


def test_state_and_mission_codes_used_exist(demo, missions):
    states = {s.iso3 for s in load_member_states()}
    assert {e.nationality for e in demo.experts} <= states
    assert {e.state for e in demo.experts if e.state} <= states
    assert {o.state for o in demo.offers} <= states
    assert {s for o in demo.offers for s in o.excluded_states} <= states
    assert {m for o in demo.offers for m in o.excluded_missions} <= set(missions)


def test_requests_are_for_active_missions(demo, missions):
    assert all(missions[r.mission].active for r in demo.requests)
    assert len({r.mission for r in demo.requests}) >= 6


def test_emails_are_unique(demo):
    emails = [e.email for e in demo.experts]
    assert None not in emails
    assert len(set(emails)) == len(emails)


def test_natural_keys_are_unique():
    """The service seeds idempotently by e-mail, (state, title) and (mission, title): none may repeat."""
    big = generate(experts=1, offers=400, requests=300)
    offer_keys = [(o.state, o.title) for o in big.offers]
    request_keys = [(r.mission, r.title) for r in big.requests]
    assert len(set(offer_keys)) == len(offer_keys)
    assert len(set(request_keys)) == len(request_keys)


def test_emails_stay_unique_at_scale():
    emails = [e.email for e in generate(experts=3000, offers=1, requests=1).experts]
    assert len(set(emails)) == len(emails)


def test_expert_skills_belong_to_their_levels(demo, skill_levels):
    for e in demo.experts:
        assert e.levels and e.skills, e.full_name
        for s in e.skills:
            assert skill_levels[s.code] & set(e.levels), f"{e.full_name}: {s.code} not at {e.levels}"


def test_offer_skills_belong_to_their_levels(demo, skill_levels):
    for o in demo.offers:
        for s in o.skills:
            assert skill_levels[s.code] & set(o.levels), f"{o.title}: {s.code} not at {o.levels}"


def test_position_skills_are_at_the_position_level(demo, skill_levels):
    for r, p in _positions(demo):
        level = p.level or r.level
        for s in p.required_skills + p.desired_skills:
            assert level in skill_levels[s.code], f"{p.title}: {s.code} is not {level}"
        assert 1 <= len(p.required_skills) <= 2
        assert not {s.code for s in p.required_skills} & {s.code for s in p.desired_skills}


def test_about_a_quarter_of_experts_are_un_staff(demo):
    un_staff = [e for e in demo.experts if e.state is None]
    assert 0.18 <= len(un_staff) / len(demo.experts) <= 0.32
    assert all(e.source in (Source.standing_capacity, Source.roster) for e in un_staff)
    assert all(e.state == e.nationality for e in demo.experts if e.state)
    assert all(e.state for e in demo.experts if e.source == Source.secondee)
    assert Counter(e.source for e in demo.experts).keys() == set(Source)


def test_notice_days_follow_the_spc_model(demo):
    for e in demo.experts:
        low, high = (7, 14) if e.source == Source.standing_capacity else (30, 90)
        assert low <= e.notice_days <= high, e.full_name


def test_grades_follow_the_category(demo):
    for e in demo.experts:
        assert e.grade in GRADE_RANK
        assert e.grade.startswith(("P-", "D-")) == (e.category == Category.civilian), (e.category, e.grade)


def test_roster_is_diverse(demo):
    assert Counter(e.category for e in demo.experts).keys() == set(Category)
    assert {lv for e in demo.experts for lv in e.levels} == set(Level)
    assert len({e.nationality for e in demo.experts}) >= 50
    assert {lang.code for e in demo.experts for lang in e.languages} == {"en", "fr", "ar", "es", "pt", "ru"}
    genders = Counter(e.gender for e in demo.experts)
    assert 0.15 <= genders["female"] / len(demo.experts) <= 0.45


def test_languages_match_nationality(demo):
    french = [e for e in demo.experts if e.nationality in {"SEN", "FRA", "CIV", "BFA"}]
    assert french and all(any(lang.code == "fr" and lang.level == 5 for lang in e.languages) for e in french)
    arabic = [e for e in demo.experts if e.nationality in {"EGY", "JOR"}]
    assert arabic and all(any(lang.code == "ar" for lang in e.languages) for e in arabic)


def test_screening_is_mostly_valid_some_expired(demo):
    dates = [e.screening_valid_until for e in demo.experts]
    expired = sum(1 for d in dates if d is not None and d < DEFAULT_TODAY)
    valid = sum(1 for d in dates if d is not None and d >= DEFAULT_TODAY)
    assert valid / len(dates) >= 0.75
    assert expired >= 10


def test_availability_covers_2027_and_2028(demo):
    for e in demo.experts:
        assert e.availability, e.full_name
        for w in e.availability + e.leave:
            assert date(2027, 1, 1) <= w.start <= w.end <= date(2030, 12, 31)
        for leave in e.leave:
            assert any(w.start <= leave.start and leave.end <= w.end for w in e.availability)
    assert sum(bool(e.leave) for e in demo.experts) >= 20


def test_offers_are_mixed_and_name_no_experts(demo):
    assert all(o.state and o.expert_ids == [] for o in demo.offers)
    assert {o.kind for o in demo.offers} == {"individual", "team"}
    assert len({o.readiness for o in demo.offers}) >= 3
    assert len({o.status for o in demo.offers}) >= 3
    assert any(o.excluded_missions or o.excluded_states for o in demo.offers)
    for o in demo.offers:
        assert (o.expires_on < DEFAULT_TODAY) == (o.status == OfferStatus.expired), o.title


def test_francophone_missions_ask_for_french(demo):
    francophone = [(r, p) for r, p in _positions(demo) if r.mission in FRANCOPHONE]
    speaks = [any(lang.code == "fr" for lang in p.languages) for _, p in francophone]
    assert sum(speaks) >= 0.6 * len(francophone)
    assert all(ok for (r, p), ok in zip(francophone, speaks) if (p.level or r.level) == Level.tactical)
    assert all(any(lang.code == "en" for lang in p.languages) for (_, p), ok in zip(francophone, speaks) if not ok)


def test_training_positions_derive_their_trainers(demo):
    training = [p for _, p in _positions(demo) if p.trainees]
    assert training
    for p in training:
        assert p.count == math.ceil(p.trainees / p.trainer_ratio)
    assert any(p.trainer_ratio == 29 for p in training)


def test_team_positions_are_grouped(demo):
    grouped = [p for _, p in _positions(demo) if p.group]
    assert grouped and all(p.all_or_nothing for p in grouped)
    assert any(p.same_offer for p in generate(requests=200, experts=1, offers=1).requests for p in p.positions)


def test_requests_vary_and_cite_chapter_benchmarks(demo):
    assert {r.level for r in demo.requests} == set(Level)
    assert len({r.priority for r in demo.requests}) >= 4
    chapter = chapter_text()
    noted = [r for r in demo.requests if r.benchmark]
    assert noted
    for r in noted:
        assert r.benchmark_note in chapter
    for r, p in _positions(demo):
        assert r.deploy_by <= p.start_date <= p.end_date


def test_large_rosters_scale():
    big = generate(experts=20_000, offers=1000, requests=300)
    assert len(big.experts) == 20_000 and len({e.email for e in big.experts}) == 20_000


def test_same_data_in_another_process(demo):
    """No dependence on string hashing (set order) or anything else that varies between runs."""
    script = "import json, sys; from seed_data.demo import generate; json.dump(generate().as_json(), sys.stdout)"
    root = Path(seed_data.__file__).parent.parent
    out = subprocess.run(
        [sys.executable, "-c", script],
        cwd=root,
        env=os.environ | {"PYTHONHASHSEED": "12345"},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert json.loads(out) == demo.as_json()
