"""Turn posted forms into API payloads, and API errors back into messages beside the fields."""

from pydantic import ValidationError
from starlette.datastructures import FormData

from schemas.roster import EMAIL, ISO3, SKILL_CODE
from service.platform.errors import RosterError

POSITION_FIELDS = (
    "title",
    "level",
    "category",
    "grade_min",
    "grade_max",
    "start_date",
    "end_date",
    "count",
    "group",
    "trainees",
    "trainer_ratio",
)
POSITION_FLAGS = ("all_or_nothing", "same_offer")
REQUEST_FIELDS = (
    "mission",
    "title",
    "description",
    "level",
    "priority",
    "deploy_by",
    "benchmark",
    "benchmark_note",
    "status",
)


def _number(text: str) -> int | str:
    return int(text) if text.strip().isdigit() else text.strip()


def parse_codes(text: str, minimum: str) -> list[dict]:
    """``SSR-POLICY:3, DDR-DESIGN`` -> [{code, <minimum>: 3}, {code}]; bad numbers go on for the API to refuse."""
    items: list[dict[str, object]] = []
    for part in text.replace(";", ",").split(","):
        code, _, level = part.strip().partition(":")
        if not code.strip():
            continue
        item: dict[str, object] = {"code": code.strip()}
        if level.strip():
            item[minimum] = _number(level)
        items.append(item)
    return items


def format_codes(items: list, minimum: str) -> str:
    """The inverse of parse_codes, for filling the form in again."""
    parts = []
    for item in (dict(x) for x in items or []):
        parts.append(f"{item['code']}:{item[minimum]}" if minimum in item else str(item["code"]))
    return ", ".join(parts)


class FormErrors(Exception):
    """Messages already keyed by form field."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__(errors)
        self.errors = errors


def if_match(form: FormData) -> str | None:
    """The If-Match of a form that carries the version it was drawn from (stale: the service refuses it)."""
    version = str(form.get("version", "")).strip()
    return f'"{version}"' if version else None


def request_values(form: FormData) -> dict:
    """The request's own fields as posted (blank ones left out)."""
    return {name: str(form[name]).strip() for name in REQUEST_FIELDS if str(form.get(name, "")).strip()}


def position_rows(form: FormData) -> list[dict]:
    """Every position row of the form, as posted: {index, id, remove, values}."""
    indexes = sorted(
        {int(key.split(".")[1]) for key in form if key.startswith("positions.") and key.split(".")[1].isdigit()}
    )
    rows = []
    for i in indexes:
        get = lambda name, i=i: str(form.get(f"positions.{i}.{name}", "")).strip()  # noqa: E731
        values: dict[str, object] = {name: get(name) for name in POSITION_FIELDS if get(name)}
        values |= {flag: True for flag in POSITION_FLAGS if get(flag)}
        values["required_skills"] = parse_codes(get("required_skills"), "min_proficiency")
        values["desired_skills"] = parse_codes(get("desired_skills"), "min_proficiency")
        values["languages"] = parse_codes(get("languages"), "min_level")
        values["assessment_stages"] = [str(stage) for stage in form.getlist(f"positions.{i}.assessment_stages")]
        values["required_credentials"] = [str(c) for c in form.getlist(f"positions.{i}.required_credentials")]
        for name in ("count", "trainees", "trainer_ratio"):
            if name in values:
                values[name] = _number(values[name])
        rows.append(
            {
                "index": i,
                "id": get("id"),
                "remove": bool(get("remove")),
                "values": values,
                "blank": not get("title") and not get("start_date"),
            }
        )
    return rows


def field_key(loc: tuple) -> str:
    """positions.0.required_skills.1.code -> positions.0.required_skills (the form's field)."""
    parts = [str(p) for p in loc if p != "body"]
    if parts and parts[0] == "positions":
        return ".".join(parts[:3])
    return parts[0] if parts else ""


def _key(prefix: str, loc: tuple, message: str) -> str:
    inner = field_key(loc)
    key = prefix + inner if inner else (prefix.rstrip(".") or "form")
    return _beside_field(key, message)


def _beside_field(key: str, message: str) -> str:
    """A cross-field rule's message ("end_date … is before start_date …") goes beside the field it names first."""
    first = message.split(" ", 1)[0]
    parts = key.split(".")
    is_row = len(parts) == 2 and parts[0] == "positions"
    if is_row and first in POSITION_FIELDS + POSITION_FLAGS:
        return f"{key}.{first}"
    if key in ("form", "") and first in REQUEST_FIELDS:
        return first
    return key


REQUIRED = "required: fill it in"
CHOOSE = "required: choose one"
# Validator jargon in plain words: the message of each error type, filled from the error's context.
PLAIN = {
    "int_parsing": "not a whole number: write digits only, e.g. 30",
    "int_from_float": "not a whole number: write digits only, e.g. 30",
    "int_type": "not a whole number: write digits only, e.g. 30",
    "greater_than_equal": "too small: give {ge} or more",
    "less_than_equal": "too large: give {le} or less",
    "greater_than": "too small: give more than {gt}",
    "string_too_long": "too long: at most {max_length} characters",
    "string_too_short": "too short: at least {min_length} characters",
    "too_long": "too many: at most {max_length}",
    "date_parsing": "not a date: write it as YYYY-MM-DD, e.g. 2027-01-31",
    "date_from_datetime_parsing": "not a date: write it as YYYY-MM-DD, e.g. 2027-01-31",
    "date_type": "not a date: write it as YYYY-MM-DD, e.g. 2027-01-31",
    "enum": "not one of the choices: choose one of the list",
    "bool_parsing": "tick it or leave it unticked",
    "extra_forbidden": "not a field of this form: reload the page",
}
PATTERNS = {
    EMAIL: "not an e-mail address: write it as name@example.org",
    ISO3: "not a three-letter country code (ISO 3166), e.g. NOR: choose one of the list",
    SKILL_CODE: "not a code of the list: choose one of the list",
}


def in_words(err) -> str:
    """A validator's message as the person at the form reads it: a field left empty is said plainly, and the
    validator's jargon (\"String should match pattern ...\") in words."""
    kind, empty = err.get("type"), err.get("input") in ("", None)
    if kind == "missing" or (empty and kind not in ("enum", "literal_error")):
        return REQUIRED
    if empty:
        return CHOOSE
    context = err.get("ctx") or {}
    if kind == "string_pattern_mismatch":
        return PATTERNS.get(context.get("pattern"), "not in the form expected here")
    if kind in PLAIN:
        return PLAIN[kind].format_map(context)
    return err.get("msg", "invalid value").removeprefix("Value error, ")


def errors_of(exc: Exception, prefix: str = "") -> dict[str, list[str]]:
    """{form field: [messages]} from a pydantic ValidationError or a RosterError."""
    found: dict[str, list[str]] = {}
    if isinstance(exc, ValidationError):
        for err in exc.errors():
            message = in_words(err)
            found.setdefault(_key(prefix, tuple(err.get("loc", ())), message), []).append(message)
    elif isinstance(exc, RosterError) and isinstance(exc.detail, list):
        for d in exc.detail:
            loc = tuple(p for p in str(d.get("field", "")).split(".") if p)
            found.setdefault(_key(prefix, loc, d["message"]), []).append(d["message"])
    else:
        found["form"] = [str(getattr(exc, "detail", exc))]
    return found


def summary(exc: Exception) -> str:
    """Every message of an error in one line, for a notice after a redirect."""
    return " ".join(m for messages in errors_of(exc).values() for m in messages)
