"""Shared query parameters: paging and ``CODE[:MIN]`` filters."""

from datetime import date
from typing import Annotated

from fastapi import Path, Query

from service.platform.errors import Invalid

Limit = Annotated[int, Query(ge=1, le=500, description="rows per page")]
Offset = Annotated[int, Query(ge=0, le=2_000_000_000, description="rows to skip")]
Id = Annotated[int, Path(ge=1, le=2_147_483_647, description="numeric id")]


def parse_code_min(field: str, values: list[str], default_min: int, upper: bool) -> list[tuple[str, int]]:
    """Parse ``CODE`` or ``CODE:MIN`` (e.g. ``DDR-DESIGN:3``, ``fr:4``) into pairs."""
    pairs = []
    for raw in values:
        code, _, minimum = raw.partition(":")
        code = code.strip().upper() if upper else code.strip().lower()
        if not code or (minimum and not (minimum.isdigit() and 1 <= int(minimum) <= 5)):
            raise Invalid(field, f"{raw!r} is not CODE or CODE:MIN with MIN from 1 to 5, e.g. {field}=XYZ:3")
        pairs.append((code, int(minimum) if minimum else default_min))
    return pairs


def check_range(start: date | None, end: date | None, start_name: str, end_name: str) -> None:
    """A period's ends in order; either may be left out (each caller says what an open end means)."""
    if start is not None and end is not None and end < start:
        raise Invalid(end_name, f"{end_name} {end} is before {start_name} {start}: swap them")
