"""The gap report as CSV, and whether a request asks for CSV; cells a spreadsheet would run as formulas are defused."""

import csv
import io
import re
from typing import Any

from schemas.reports import GapReport, UnfilledSeat

CSV_COLUMNS = [
    "skill",
    "skill_name",
    "area",
    "level",
    "quarter",
    "demand",
    "supply",
    "supply_proficient",
    "gap",
    "ratio",
    "unfilled",
    "blocked_by_credentials",
    "positions",
    "status",
]
# Spreadsheets skip leading blanks before a formula (" =1+1" runs), and a tab or CR starts one in some of them.
_FORMULA = re.compile(r"^(?:\s*[=+\-@\uff1d\uff0b\uff0d\uff20]|[\t\r])")


def spreadsheet_safe(value: Any) -> Any:
    """Text a spreadsheet would run as a formula (=HYPERLINK(...), +cmd, @SUM) gets a leading apostrophe."""
    if isinstance(value, str) and _FORMULA.match(value):
        return "'" + value
    return value


def _quality(accepted: dict[str, float], media: str) -> float:
    major = media.split("/")[0] + "/*"
    return accepted.get(media, accepted.get(major, accepted.get("*/*", 0.0)))


def prefers_csv(accept: str | None) -> bool:
    """Whether an Accept header ranks text/csv above JSON (a tie keeps JSON)."""
    accepted: dict[str, float] = {}
    for part in (accept or "").split(","):
        media, *params = [p.strip() for p in part.split(";")]
        q = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if media:
            accepted[media.lower()] = max(q, accepted.get(media.lower(), 0.0))
    return _quality(accepted, "text/csv") > _quality(accepted, "application/json")


def credential_words(seat: UnfilledSeat) -> str:
    """``MEDICAL: 3, SSAFE: 1``: the types that alone kept the seat empty, with how many candidates lack each."""
    return ", ".join(f"{g.code}: {g.candidates}" for g in seat.blocked_by_credentials)


def to_csv(report: GapReport) -> str:
    """One row per cell under a header row."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    for cell in report.cells:
        row = cell.model_dump(mode="json")
        row["ratio"] = "" if cell.ratio is None else cell.ratio
        row["positions"] = " ".join(str(p) for p in cell.positions)
        writer.writerow({k: spreadsheet_safe(row[k]) for k in CSV_COLUMNS})
    return out.getvalue()


def csv_filename(report: GapReport) -> str:
    return f"gaps-{report.from_.isoformat()}-{report.to.isoformat()}.csv"
