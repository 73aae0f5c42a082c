"""The Member State record forms' pieces (offers, experts): list fields drawn as rows (skills, languages,
windows, credentials), the reference lists their codes are picked from, and every error beside its field or row."""

import re
from dataclasses import dataclass

import pycountry
from pydantic import BaseModel, ValidationError
from sqlmodel import Session
from starlette.datastructures import FormData

from schemas.enums import Level
from schemas.numbers import FROM_TEXT
from service.platform.errors import Conflict, PreconditionFailed, RosterError
from service.reference import credentials
from service.reference import repository as reference
from service.web import forms

ROWS = {  # a list field drawn as rows -> the fields of one row
    "skills": ("code", "proficiency"),
    "languages": ("code", "level"),
    "availability": ("start", "end"),
    "leave": ("start", "end"),
    "credentials": ("code", "issued_on", "expires_on", "verified_by", "verified_on"),
}
ROW_SELECTS = ("code", "proficiency", "level")  # a row's fields picked from a list
BLANK_ROWS = 2  # offered below the filled rows: the form works without script ("Add a row" only adds more)
PROFICIENCY = ("1 basic", "2 elementary", "3 working", "4 advanced", "5 expert")
UN_LANGUAGES = ("ar", "zh", "en", "fr", "ru", "es")  # the six official languages, listed first
STALE = "Someone changed this record since you opened the form: reload the page to see the changes, then edit again."
# A conflict's words name the field they are about (the service says which record clashes, not which field).
CONFLICTS = (("offer titled", "title"), ("e-mail", "email"), ("national id", "national_id"))


@dataclass
class Row:
    index: int
    values: dict[str, str]

    @property
    def blank(self) -> bool:
        return not any(self.values.values())


@dataclass(frozen=True)
class Shape:
    """What a record form posts: ``scalars`` (text; those in ``nullable`` cleared when blanked), ``chosen``
    (several picked from a list), ``lists`` (rows), ``posted_only`` (read, never compared with the stored
    record); ``selects`` are picked from a list."""

    scalars: tuple[str, ...]
    chosen: tuple[str, ...]
    lists: tuple[str, ...]
    nullable: frozenset[str]
    selects: tuple[str, ...]
    posted_only: tuple[str, ...] = ()

    @property
    def fields(self) -> tuple[str, ...]:
        return (*self.scalars, *self.chosen, *self.lists, *self.posted_only)

    def read(self, form: FormData) -> tuple[dict, dict[str, list["Row"]]]:
        """The values as posted (blank scalars left out) and every row of each list."""
        values: dict[str, object] = {n: text(form, n) for n in (*self.scalars, *self.posted_only) if text(form, n)}
        values |= {name: [str(v) for v in form.getlist(name)] for name in self.chosen}
        posted = {name: rows(form, name) for name in self.lists}
        return values | {name: filled(found) for name, found in posted.items()}, posted

    def stored(self, public: BaseModel) -> dict:
        """A stored record in the shape the form posts."""
        data = public.model_dump(mode="json")
        values = {k: str(data[k]) for k in self.scalars if data.get(k) is not None}
        return values | {k: [str(v) for v in data[k]] for k in self.chosen} | {k: data[k] for k in self.lists}

    def changes(self, public: BaseModel, values: dict, model: type[BaseModel]) -> dict:
        """What the form changes: scalars that differ (one blanked: null where the API takes it, else sent
        empty, to be refused as required), choices that differ, rows that differ once read as ``model`` reads
        them."""
        current = self.stored(public)
        changed: dict[str, object] = {}
        for name in self.scalars:
            posted = values.get(name, "")
            if posted != current.get(name, ""):
                changed[name] = posted if posted else (None if name in self.nullable else "")
        changed |= {n: values[n] for n in self.chosen if sorted(values[n]) != sorted(current[n])}
        for name in self.lists:
            if validate(model, {name: values[name]}).model_dump(mode="json")[name] != current[name]:
                changed[name] = values[name]
        return changed

    def refused(self, exc: Exception, posted: dict[str, list["Row"]]) -> tuple[dict, dict[str, list["Row"]]]:
        """The errors beside their fields, and the rows to draw again."""
        found = errors(exc, sent_indexes(posted), self.fields, self.selects)
        return found, {name: redrawn(rows, name) for name, rows in posted.items()}


def text(form: FormData, name: str) -> str:
    return str(form.get(name, "")).strip()


def rows(form: FormData, name: str, names: tuple[str, ...] | None = None) -> list[Row]:
    """Every row of a list field as posted (``skills.3.code``), blank ones included, by their form number; a list
    within a list (``positions.0.languages``) names its row's fields."""
    depth = name.count(".") + 1
    found = {
        int(k.split(".")[depth])
        for k in form
        if k.startswith(f"{name}.") and len(k.split(".")) > depth and k.split(".")[depth].isdigit()
    }
    return [Row(i, {f: text(form, f"{name}.{i}.{f}") for f in names or ROWS[name]}) for i in sorted(found)]


def filled(found: list[Row]) -> list[dict]:
    """The rows to send: blank ones dropped, blank fields left out (their defaults apply)."""
    return [{k: v for k, v in row.values.items() if v} for row in found if not row.blank]


def shown(stored: list[dict], name: str, names: tuple[str, ...] | None = None) -> list[Row]:
    """Stored rows for the form, and blank ones to fill in."""
    fields = names or ROWS[name]
    drawn = [Row(i, {f: "" if item.get(f) is None else str(item[f]) for f in fields}) for i, item in enumerate(stored)]
    return drawn + blanks(name, len(drawn), names)


def blanks(name: str, start: int, names: tuple[str, ...] | None = None) -> list[Row]:
    return [Row(start + i, dict.fromkeys(names or ROWS[name], "")) for i in range(BLANK_ROWS)]


def redrawn(found: list[Row], name: str, names: tuple[str, ...] | None = None) -> list[Row]:
    """The posted rows drawn again after a refusal, with a blank row or two if none is left."""
    if any(r.blank for r in found):
        return found
    return found + blanks(name, max((r.index for r in found), default=-1) + 1, names)


def sent_indexes(posted: dict[str, list[Row]]) -> dict[str, list[int]]:
    """For each list field, the form number of each row sent (the service counts only those)."""
    return {name: [r.index for r in found if not r.blank] for name, found in posted.items()}


def choices(session: Session) -> dict:
    """The reference lists a record form picks its codes from."""
    return {
        "skills": skill_options(session),
        "languages": language_options(),
        "states": [(s.iso3, f"{s.name} ({s.iso3})") for s in reference.member_states(session)],
        "missions": [(m.code, f"{m.code}: {m.name}") for m in reference.missions(session)],
        "credential_types": [(t.code, f"{t.name} ({t.code})") for t in credentials.types(session, active=True)],
        "levels": list(Level),
        "proficiencies": list(enumerate(PROFICIENCY, 1)),
    }


def language_options() -> list[tuple[str, str]]:
    """The languages to pick from: (code, name), the UN's six official ones first."""
    languages = sorted(
        ((lang.alpha_2, lang.name) for lang in pycountry.languages if hasattr(lang, "alpha_2")), key=lambda x: x[1]
    )
    first = [x for code in UN_LANGUAGES for x in languages if x[0] == code]
    return first + [x for x in languages if x[0] not in UN_LANGUAGES]


def skill_options(session: Session) -> list[tuple[str, str]]:
    """The skills to pick from: (code, "Name (CODE)"), so a search finds a skill by its name or its code."""
    return [(s.code, f"{s.name} ({s.code})") for s in reference.skills(session)]


def pick(typed: str, options: list[tuple[str, str]]) -> str | None:
    """The code of the entry typed or picked: its label ("Name (CODE)"), its code or its name, in any case."""
    wanted = typed.strip().casefold()
    for code, label in options:
        if wanted in (code.casefold(), label.casefold(), label.removesuffix(f" ({code})").casefold()):
            return code
    return None


def not_known(typed: str, options: list[tuple[str, str]], what: str) -> str:
    """Why a typed entry was not taken, with the entries it is part of (three at most) to choose from."""
    near = [label for _, label in options if typed.strip().casefold() in label.casefold()][:3]
    hint = f"did you mean {' or '.join(near)}?" if near else "type part of its name or code and pick it from the list"
    return f"“{typed}” is not a known {what}: {hint}"


def errors(
    exc: Exception, sent: dict[str, list[int]], fields: tuple[str, ...], selects: tuple[str, ...] = ()
) -> dict[str, list[str]]:
    """{form field: [messages]}: a row's error beside its field (``skills.3.proficiency``) or its row
    (``skills.3``), a list's beside the list (``skills``), a rule across fields beside the field it names first.
    A list left unchosen (``selects``, and a row's code and level) is said so."""
    found: dict[str, list[str]] = {}
    if isinstance(exc, ValidationError):
        for err in exc.errors():
            message = forms.in_words(err)
            key = _key(tuple(err.get("loc", ())), message, sent, fields)
            if message == forms.REQUIRED and key.rsplit(".", 1)[-1] in (*selects, *ROW_SELECTS):
                message = forms.CHOOSE
            found.setdefault(key, []).append(message)
    elif isinstance(exc, PreconditionFailed):
        found["form"] = [STALE]
    elif isinstance(exc, RosterError) and isinstance(exc.detail, list):
        for d in exc.detail:
            # the service writes a row's field as credentials[0].expires_on or credentials.0.expires_on
            loc = tuple(int(p) if p.isdigit() else p for p in re.split(r"[.\[\]]+", str(d.get("field", ""))) if p)
            found.setdefault(_key(loc, d["message"], sent, fields), []).append(d["message"])
    elif isinstance(exc, Conflict):
        field = next((f for words, f in CONFLICTS if words in str(exc.detail) and f in fields), "form")
        found[field] = [str(exc.detail)]
    else:
        found["form"] = [str(getattr(exc, "detail", exc))]
    return found


def _named(message: str, names) -> str | None:
    """The first of ``names`` the message names (``end 2027-01-01 is before start …`` -> end)."""
    words = [w.strip(":,;.") for w in message.split()]
    return next((w for w in words if w in names), None)


def _key(loc: tuple, message: str, sent: dict[str, list[int]], fields: tuple[str, ...]) -> str:
    parts = [p for p in loc if p != "body"]
    if not parts:
        return _named(message, fields) or "form"
    name = str(parts[0])
    if name not in ROWS or len(parts) < 2 or not isinstance(parts[1], int):
        return name if name in fields else "form"
    numbers = sent.get(name, [])
    row = f"{name}.{numbers[parts[1]] if parts[1] < len(numbers) else parts[1]}"
    if len(parts) >= 3 and parts[2] in ROWS[name]:
        return f"{row}.{parts[2]}"
    field = _named(message, ROWS[name])
    return f"{row}.{field}" if field else row


def validate(model, values: dict):
    """The form's values checked as the API checks a body, every error at once; the values are text, read by
    pydantic's own rules as a spreadsheet's cells are."""
    return model.model_validate(values, context=FROM_TEXT)
