"""Dates as they may enter the service: from 1900-01-01 to 2100-12-31, written as ISO 8601.

Arithmetic on a date that came in (a renewal a year on, a period ten years long) then stays within what
Python and the databases can hold: an offer that expired on 9999-12-31 made /ui/offers answer 500 for
everyone (a renewal a year later overflows).

Only the ISO form is read: pydantic alone also takes a number as seconds since 1970, so ``today=0`` was
1970-01-01 and ``since=5`` five seconds into 1970, values of the wrong type accepted in silence.
"""

import re
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, WithJsonSchema

FIRST_DAY = date(1900, 1, 1)
LAST_DAY = date(2100, 12, 31)
ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
ISO_MOMENT = re.compile(r"\d{4}-\d{2}-\d{2}([Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([Zz]|[+-]\d{2}:?\d{2})?)?")
YEARS = "^(19[0-9]{2}|20[0-9]{2}|2100)-"  # the range, as a schema can say it to clients and fuzzers


def in_range(day: date) -> date:
    if not FIRST_DAY <= day <= LAST_DAY:
        raise ValueError(f"{day} is outside {FIRST_DAY} to {LAST_DAY}: give a date in between")
    return day


def _written_as(pattern: re.Pattern[str], example: str) -> Any:
    def check(value: Any) -> Any:
        if isinstance(value, date) or (isinstance(value, str) and pattern.fullmatch(value)):
            return value
        raise ValueError(f"{value!r} is not a date: write it as {example}")

    return check


def moment_in_range(moment: datetime) -> datetime:
    in_range(moment.date())
    return moment


Day = Annotated[
    date,
    BeforeValidator(_written_as(ISO_DAY, "YYYY-MM-DD, e.g. 2027-01-31")),
    AfterValidator(in_range),
    WithJsonSchema({"type": "string", "format": "date", "pattern": YEARS}),
]
Moment = Annotated[
    datetime,
    WithJsonSchema({"type": "string", "format": "date-time", "pattern": YEARS}),
    BeforeValidator(_written_as(ISO_MOMENT, "YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ, e.g. 2027-01-31T08:00:00Z")),
    AfterValidator(moment_in_range),
]
