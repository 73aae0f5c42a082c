"""The plan pages' words: the solver's codes named, counts in good grammar."""

from service.web.explain import codes, main_reason, plain, plain_reasons
from service.web.render import plural

NAMES = {
    "E8": "Amina Diallo",
    "E9": "Yao Fall",
    "P10-1": "Engineering team (seat 1)",
    "P10-2": "Engineering team (seat 2)",
    "P10-3": "Engineering team (seat 3)",
    "P50-6": "Police adviser (seat 6)",
    "R7:MINUSCA-7-team": "the team of request “Barracks”",
    "skill:BARRACKS": "“Barracks and military infrastructure”",
}


def test_plural():
    assert [plural(n, "seat") for n in (0, 1, 2)] == ["0 seats", "1 seat", "2 seats"]
    assert plural(1, "is", "are") == "1 is" and plural(3, "is", "are") == "3 are"


def test_codes_become_names_and_one_is_singular():
    reason = (
        "of the 9 left, 1 were rejected by a planner; "
        "of the 8 left, 1 are outside the grade range; of the 7 left, 1 lack skill BARRACKS ≥ 4; 0 left; "
        "group R7:MINUSCA-7-team is all-or-nothing and P10-1, P10-2, P10-3 has no eligible supplier"
    )
    said = plain(reason, NAMES)
    assert "1 was rejected by a planner" in said
    assert "1 is outside the grade range" in said and "1 lacks skill “Barracks and military infrastructure”" in said
    assert "the team of request “Barracks” is all-or-nothing" in said
    assert "Engineering team (seats 1, 2 and 3) have no eligible candidate" in said
    assert not codes([said]) - {c for c in codes([said]) if c.startswith("skill:")}
    used = plain("1 left; eligible suppliers were used elsewhere (E8 by P50-6, E9 by P10-1)", NAMES)
    assert used.endswith("(Amina Diallo went to Police adviser (seat 6), Yao Fall went to Engineering team (seat 1))")
    assert codes([reason]) == {"P10-1", "P10-2", "P10-3", "R7:MINUSCA-7-team", "skill:BARRACKS"}


def test_the_steps_name_who_went_where():
    detail = {
        "pool": 1,
        "eliminations": [{"rule": "grade", "eliminated": 1, "remaining": 0, "detail": "are outside the grade range"}],
        "competitors": [{"supplier_id": "E8", "taken_by": "P50-6", "why": "P50-6 has a higher priority"}],
    }
    assert plain_reasons(detail, NAMES) == [
        "Started from 1 candidate (experts and offer slots).",
        "1 is outside the grade range — 0 left.",
        "Amina Diallo was eligible but went to Police adviser (seat 6): Police adviser (seat 6) has a higher priority.",
    ]


def test_the_gap_report_s_main_reasons_are_said_in_words_not_rule_names():
    assert main_reason("category") == "those ruled out were mostly those of the wrong category"
    failed = main_reason("assessment_failed")
    assert failed.endswith("mostly those who failed an assessment stage the position requires")
    assert main_reason("competition") == "every candidate left went to another seat"
    assert main_reason("other") == "no candidate at all"
