"""The reference data files: skills traceable to the sources, the 193 Member States, the missions."""

import json
import re
from collections import Counter
from pathlib import Path

import pycountry
import pytest

import seed_data
from schemas.enums import Level
from schemas.roster import MemberStateBase, MissionCreate, SkillCreate
from seed_data import load_member_states, load_missions, load_skills, skill_codes
from tests.seed_data.sources import document

DATA = Path(seed_data.__file__).parent
SOURCES = DATA / "sources"
QUOTE = re.compile(r'^(?P<document>[\w.-]+\.txt): "(?P<quote>[^"]+)"$')
FOOTNOTE_7 = ("MONUSCO", "UNOCI", "UNMIL", "UNMIT", "UNPOS", "BINUB", "UNIOGBIS", "UNIOSIL")


def _normalised(text: str) -> str:
    return " ".join(text.split())


def _raw(name: str) -> list[dict]:
    return json.loads((DATA / name).read_text(encoding="utf-8"))


def test_the_policy_paper_is_in_the_repository_and_the_chapter_is_not():
    assert [p.name for p in SOURCES.glob("*.txt")] == ["policy-paper.txt"]
    assert "Level of Engagement Assessment" in document("policy-paper.txt")


def test_the_chapter_is_the_one_quoted():
    assert "5.7.2 Benchmarks" in document("defence-sector-chapter.txt")


# --- Skills ----------------------------------------------------------------------


def test_skills_validate_and_are_enough():
    skills = [SkillCreate.model_validate(row) for row in _raw("skills.json")]
    assert len(skills) >= 35


def test_skill_codes_are_unique():
    duplicates = [code for code, n in Counter(skill_codes()).items() if n > 1]
    assert duplicates == []


@pytest.mark.parametrize("level", list(Level))
def test_every_level_has_its_skills(level):
    assert sum(level in s.levels for s in load_skills()) >= 8


def test_skills_draw_on_both_documents():
    documents = Counter(QUOTE.match(s.source)["document"] for s in load_skills())
    assert documents["policy-paper.txt"] >= 10
    assert documents["defence-sector-chapter.txt"] >= 10


@pytest.mark.parametrize("skill", load_skills(), ids=lambda s: s.code)
def test_skill_quotes_its_source_verbatim(skill):
    match = QUOTE.match(skill.source)
    assert match, f"{skill.code}: source must read 'file.txt: \"quote\"', got {skill.source!r}"
    quote = _normalised(match["quote"])
    assert 3 <= len(quote.split()) <= 12, f"{skill.code}: quote of {len(quote.split())} words"
    assert quote in document(match["document"]), f"{skill.code}: {quote!r} not found in {match['document']}"


def test_annex_i_examples_are_in_the_taxonomy():
    by_code = {s.code: s for s in load_skills()}
    expected = {
        "FORCE-DESIGN": Level.strategic,
        "DDR-DESIGN": Level.strategic,
        "DEF-FINANCE": Level.strategic,
        "PAYROLL": Level.operational,
        "PROCUREMENT": Level.operational,
        "ID-CARDS": Level.operational,
        "BARRACKS": Level.operational,
        "HUMAN-RIGHTS-TRAINING": Level.tactical,
        "IHL-TRAINING": Level.tactical,
        "NON-OFFENSIVE-TRAINING": Level.tactical,
    }
    for code, level in expected.items():
        assert level in by_code[code].levels, code


def test_defence_chapter_examples_are_in_the_taxonomy():
    by_code = {s.code: s for s in load_skills()}
    expected = {
        "CHILD-PROTECTION": Level.tactical,
        "GBV-PREVENTION": Level.tactical,
        "RECRUITMENT": Level.operational,
        "OVERSIGHT-MECHANISMS": Level.operational,
        "DEF-ACCOUNTABILITY": Level.strategic,
        "LOGISTICS": Level.operational,
        "HR-SYSTEMS": Level.operational,
    }
    for code, level in expected.items():
        assert level in by_code[code].levels, code


# --- Member States ----------------------------------------------------------------


def test_there_are_193_member_states_each_once():
    states = [MemberStateBase.model_validate(row) for row in _raw("member_states.json")]
    assert len(states) == 193
    assert len({s.iso3 for s in states}) == 193
    assert len({s.name for s in states}) == 193


def test_member_state_codes_are_iso_3166():
    unknown = [s.iso3 for s in load_member_states() if pycountry.countries.get(alpha_3=s.iso3) is None]
    assert unknown == []


def test_membership_is_the_un_list():
    codes = {s.iso3 for s in load_member_states()}
    assert {"SSD", "COD", "CAF", "TLS", "MNE", "PRK", "KOR"} <= codes
    assert not codes & {"TWN", "PSE", "VAT", "XKX", "ESH", "HKG", "PRI", "GRL"}


# --- Missions ------------------------------------------------------------------------


def test_missions_validate_with_unique_codes():
    missions = [MissionCreate.model_validate(row) for row in _raw("missions.json")]
    assert len({m.code for m in missions}) == len(missions)


def test_mission_host_states_are_member_states():
    states = {s.iso3 for s in load_member_states()}
    strays = {m.code: h for m in load_missions() for h in m.host_states if h not in states}
    assert strays == {}


def test_the_eight_missions_of_footnote_7_are_present():
    assert "MONUSCO, UNOCI, UNMIL, UNMIT (all peacekeeping operations), UNPOS, BINUB, UNIOGBIS, and UNIOSIL" in (
        document("policy-paper.txt")
    )
    missions = {m.code: m for m in load_missions()}
    assert set(FOOTNOTE_7) <= set(missions)
    assert [code for code in FOOTNOTE_7 if missions[code].active] == ["MONUSCO"]


def test_current_and_closed_operations():
    missions = {m.code: m for m in load_missions()}
    for code in (
        "MINUSCA",
        "UNMISS",
        "UNIFIL",
        "UNFICYP",
        "UNDOF",
        "UNMIK",
        "MINURSO",
        "UNISFA",
        "UNTSO",
        "UNMOGIP",
        "UNAMA",
        "BINUH",
        "UNSMIL",
    ):
        assert missions[code].active, code
    for code in ("MINUSMA", "UNAMID", "MINUSTAH", "MONUC"):
        assert not missions[code].active, code
    assert missions["UNMIK"].host_states == ["SRB"]
    assert set(missions["UNMOGIP"].host_states) == {"IND", "PAK"}
    assert len(missions["UNTSO"].host_states) > 1
