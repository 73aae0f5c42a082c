"""Dates as they may enter the service: from 1900-01-01 to 2100-12-31.

Arithmetic on a date that came in (a renewal a year on, a period ten years long) then stays within what
Python and the databases can hold: an offer that expired on 9999-12-31 made /ui/offers answer 500 for
everyone (a renewal a year later overflows).
"""

from datetime import date
from typing import Annotated

from pydantic import AfterValidator

FIRST_DAY = date(1900, 1, 1)
LAST_DAY = date(2100, 12, 31)


def in_range(day: date) -> date:
    if not FIRST_DAY <= day <= LAST_DAY:
        raise ValueError(f"{day} is outside {FIRST_DAY} to {LAST_DAY}: give a date in between")
    return day


Day = Annotated[date, AfterValidator(in_range)]
