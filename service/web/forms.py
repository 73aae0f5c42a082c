"""Turn posted forms into API payloads, and API errors back into messages beside the fields."""

import re

from pydantic import BaseModel, ValidationError
from starlette.datastructures import FormData

from schemas.numbers import FROM_TEXT
from schemas.roster import (
    EMAIL,
    ISO3,
    SKILL_CODE,
    CapacityRequestCreate,
    PositionCreate,
    PositionUpdate,
    position_problems,
)
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
POSITION_LISTS = {  # a position's list drawn as rows -> the fields of one row
    "required_skills": ("code", "min_proficiency"),
    "desired_skills": ("code", "min_proficiency"),
    "languages": ("code", "min_level"),
}
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
    """Every position row of the form, as posted: {index, id, remove, values} (its lists are read as rows by the
    page, which knows the skills to pick from)."""
    indexes = sorted(
        {int(key.split(".")[1]) for key in form if key.startswith("positions.") and key.split(".")[1].isdigit()}
    )
    rows = []
    for i in indexes:
        get = lambda name, i=i: str(form.get(f"positions.{i}.{name}", "")).strip()  # noqa: E731
        values: dict[str, object] = {name: get(name) for name in POSITION_FIELDS if get(name)}
        values |= {flag: True for flag in POSITION_FLAGS if get(flag)}
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
    if is_row and first in (*POSITION_FIELDS, *POSITION_FLAGS, *POSITION_LISTS):
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


# The schema's field names in the rules' messages ("end_date … is before start_date …"), as the form labels them.
FIELD_WORDS = {
    "start_date": "start date",
    "end_date": "end date",
    "grade_min": "lowest grade",
    "grade_max": "highest grade",
    "trainer_ratio": "trainees per trainer",
    "all_or_nothing": "“all or nothing”",
    "same_offer": "“one offer”",
    "'group'": "the group label",
    "required_skills": "required skills",
    "desired_skills": "desired skills",
    "assessment_stages": "assessment stages",
    "required_credentials": "required credentials",
    "deploy_by": "deploy by",
}
_FIELD_NAMES = re.compile("|".join(rf"(?<!\w){re.escape(name)}(?!\w)" for name in FIELD_WORDS))


# An API address in a message ("(POST /deployments/7/consent)", ": see GET /reference/skills for valid codes"):
# the page's reader has the list or the button at hand instead.
_ADDRESSES = re.compile(r"\s*\((?:GET|POST|PATCH|PUT|DELETE) [^)]*\)|:? see (?:GET|POST) \S+(?: for valid codes)?")


def plain(message: str) -> str:
    """A service's message as a page says it: the schema's field names as the form labels them, no API address."""
    return _FIELD_NAMES.sub(lambda m: FIELD_WORDS[m[0]], _ADDRESSES.sub("", message))


def worded(errors: dict[str, list[str]]) -> dict[str, list[str]]:
    """The messages in the form's words (see ``plain``)."""
    return {key: [plain(m) for m in messages] for key, messages in errors.items()}


def merge(into: dict[str, list[str]], more: dict[str, list[str]]) -> dict[str, list[str]]:
    for key, messages in more.items():
        into.setdefault(key, []).extend(m for m in messages if m not in into.get(key, []))
    return into


def _checked(model: type[BaseModel], values: dict, prefix: str = "") -> dict[str, list[str]]:
    try:
        model.model_validate(values, context=FROM_TEXT)
    except ValidationError as exc:
        return errors_of(exc, prefix)
    return {}


REQUEST_SELECTS = ("mission", "level", "status")
POSITION_SELECTS = ("level", "category", "grade_min", "grade_max")


def _chosen(found: dict[str, list[str]], selects: tuple[str, ...]) -> dict[str, list[str]]:
    """A list left unchosen is said so ("choose one", not "fill it in")."""
    pick = lambda key, m: CHOOSE if m == REQUIRED and key.rsplit(".", 1)[-1] in selects else m  # noqa: E731
    return {key: [pick(key, m) for m in messages] for key, messages in found.items()}


def request_errors(values: dict) -> dict[str, list[str]]:
    """Every error of the request's own fields (positions aside), as POST /requests reads them."""
    return _chosen(_checked(CapacityRequestCreate, values | {"positions": []}), REQUEST_SELECTS)


def position_errors(values: dict, prefix: str) -> dict[str, list[str]]:
    """Every error of one position at once: its fields' and, beside them, the rules across the fields that are
    right (pydantic checks those rules only once every field is right, hence the errors in waves)."""
    found = _chosen(_checked(PositionCreate, values, prefix), POSITION_SELECTS)
    if not found:
        return found
    wrong = {key.removeprefix(prefix).split(".")[0] for key in found}
    rest = {k: v for k, v in values.items() if k not in wrong}
    try:
        position = PositionUpdate.model_validate(rest, context=FROM_TEXT)
    except ValidationError:
        return found  # already said, field by field
    for message in position_problems(position):
        merge(found, {_key(prefix, (), message): [message]})
    return found


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
