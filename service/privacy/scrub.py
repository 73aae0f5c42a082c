"""A person's identifying values taken out of text and JSON: pure functions, no database.

Matching is case-insensitive and bounded: a value is found where no letter or digit touches it on either side
(``Ana`` is not found in ``Banana``). A JSON string (or key) equal to a value is replaced whole: the name by the
pseudonym, an e-mail or a national id by null (a key, which cannot be null, by ``ERASED``). Inside longer
strings, a value is replaced by the pseudonym (the name) or ``ERASED`` (the others), but only a value of at
least ``MIN_INSIDE`` characters: a shorter one (a national id ``42``) would take numbers and words that are not
the person's ("position 42") out of notes and messages.
"""

import json
import re
from dataclasses import dataclass
from typing import Any

ERASED = "(erased)"
MIN_INSIDE = 5


@dataclass(frozen=True)
class Person:
    """What identifies one person, and what replaces it."""

    name: str
    email: str | None
    national_id: str | None
    pseudonym: str

    def values(self) -> list[str]:
        """The identifying values, longest first (a name that contains another value is replaced whole)."""
        found = {v for v in (self.name, self.email, self.national_id) if v and v.strip()}
        return sorted(found, key=lambda v: (-len(v), v))

    def patterns(self) -> list[str]:
        """Substrings a stored text holding one of the values contains: as written, and as JSON escapes them."""
        found: set[str] = set()
        for value in self.values():
            found |= {value, json.dumps(value)[1:-1], json.dumps(value, ensure_ascii=False)[1:-1]}
        return sorted(found)


class Scrubber:
    """Replaces one person's values in strings, JSON data and JSON text."""

    def __init__(self, person: Person) -> None:
        self.person = person
        self._whole = {v.casefold(): self._replacement(v) for v in person.values()}
        inside = [v for v in person.values() if len(v) >= MIN_INSIDE]
        alternatives = "|".join(re.escape(v) for v in inside)
        self._inside = re.compile(rf"(?<![^\W_])(?:{alternatives})(?![^\W_])", re.IGNORECASE) if inside else None

    def _replacement(self, value: str) -> str | None:
        return self.person.pseudonym if value == self.person.name else None

    def text(self, value: str) -> str:
        """A free text (a note, a message, a name): every value in it replaced; never null."""
        key = value.strip().casefold()
        if key in self._whole:
            return self._whole[key] or ERASED
        if self._inside is None:
            return value
        return self._inside.sub(lambda m: self._whole.get(m.group(0).casefold()) or ERASED, value)

    def data(self, value: Any) -> Any:
        """JSON data (dicts, lists, strings, numbers), walked: a string equal to a value becomes its replacement."""
        if isinstance(value, str):
            key = value.strip().casefold()
            return self._whole[key] if key in self._whole else self.text(value)
        if isinstance(value, list):
            return [self.data(item) for item in value]
        if isinstance(value, dict):
            return {self.text(key): self.data(item) for key, item in value.items()}
        return value

    def json_text(self, value: str) -> str:
        """JSON kept as text (a solver instance, a kept answer): parsed, walked, written compact; else a free text."""
        try:
            parsed = json.loads(value)
        except ValueError:
            return self.text(value)
        scrubbed = self.data(parsed)
        if scrubbed == parsed:
            return value
        return json.dumps(scrubbed, ensure_ascii=False, separators=(",", ":"))
