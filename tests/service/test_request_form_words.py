"""The request form's pieces without a browser: a skill picked by name or code, every error of a position at once
(its fields' and the rules across the fields that are right), the schema's names in the form's words."""

from service.web import fields, forms

SKILLS = [
    ("SSR-STRATEGY", "Security sector reform strategy (SSR-STRATEGY)"),
    ("NSS-DEVELOPMENT", "National security strategy development (NSS-DEVELOPMENT)"),
    ("DDR-DESIGN", "DDR and integration programme design (DDR-DESIGN)"),
]


def test_a_skill_is_picked_by_its_label_code_or_name_in_any_case():
    assert fields.pick("Security sector reform strategy (SSR-STRATEGY)", SKILLS) == "SSR-STRATEGY"
    assert fields.pick(" ssr-strategy ", SKILLS) == "SSR-STRATEGY"
    assert fields.pick("ddr and integration programme design", SKILLS) == "DDR-DESIGN"
    assert fields.pick("strategy", SKILLS) is None  # a part of two names is not a pick


def test_an_entry_not_known_names_the_skills_it_is_part_of():
    message = fields.not_known("strategy", SKILLS, "skill")
    assert message.startswith("“strategy” is not a known skill: did you mean ")
    assert "(SSR-STRATEGY)" in message and "(NSS-DEVELOPMENT)" in message and "DDR" not in message
    assert "pick it from the list" in fields.not_known("XYZ", SKILLS, "skill")


def test_a_position_says_its_wrong_fields_and_its_broken_rule_at_once():
    found = forms.position_errors(
        {"title": "", "start_date": "2090-06-01", "end_date": "2090-03-01", "count": "0"}, "positions.0."
    )
    assert found["positions.0.title"] == [forms.REQUIRED]
    assert found["positions.0.count"] == ["too small: give 1 or more"]
    assert found["positions.0.end_date"][0].startswith("end_date 2090-03-01 is before start_date 2090-06-01")
    assert forms.position_errors({"title": "A", "start_date": "2090-01-01", "end_date": "2090-02-01"}, "p.") == {}


def test_every_broken_rule_of_a_position_is_said_at_once():
    """Dates swapped, grades swapped and a language twice: three rules, one submit (they came one wave each)."""
    values = {"title": "", "start_date": "2090-06-01", "end_date": "2090-03-01", "grade_min": "P-5", "grade_max": "P-3"}
    values["languages"] = [{"code": "fr", "min_level": 3}, {"code": "fr", "min_level": 4}]
    said = [m for messages in forms.position_errors(values, "positions.0.").values() for m in messages]
    assert forms.REQUIRED in said
    assert any(m.startswith("end_date 2090-03-01 is before start_date") for m in said)
    assert any(m.startswith("grade_min P-5 is above grade_max P-3") for m in said)
    assert any(m.startswith("languages listed more than once: fr") for m in said)


def test_the_request_says_each_missing_field_and_its_kind():
    found = forms.request_errors({"title": "", "priority": "9"})
    assert found == {
        "title": [forms.REQUIRED],
        "level": [forms.CHOOSE],
        "priority": ["too large: give 5 or less"],
    }


def test_the_schema_names_read_as_the_form_labels_them():
    said = forms.worded({"x": ["end_date 2090-03-01 is before start_date 2090-06-01", "set 'group'"]})
    assert said == {"x": ["end date 2090-03-01 is before start date 2090-06-01", "set the group label"]}


def test_a_message_names_no_api_address():
    assert (
        forms.plain("unknown skill code(s) X: see GET /reference/skills for valid codes") == "unknown skill code(s) X"
    )
    said = forms.plain("awaiting the consent of NOR: the state confirms (POST /deployments/7/consent, HQ may record)")
    assert said == "awaiting the consent of NOR: the state confirms"
