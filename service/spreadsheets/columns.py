"""The columns of an import file: names, kinds, help and examples, for the reader, the checks and the templates."""

from dataclasses import dataclass
from typing import Literal

from schemas.enums import GRADE_RANK, Category, CostBearer, Gender, Level, OfferKind, OfferStatus, Readiness, Source

Kind = Literal["experts", "offers"]


@dataclass(frozen=True)
class Column:
    name: str
    kind: str  # text, code, choice, number, date, bool, skills, languages, levels, windows, codes, credentials
    help: str
    example: str = ""
    required: bool = False


def _choices(enum) -> str:
    return "one of " + ", ".join(m.value for m in enum)


SKILLS_HELP = "CODE:PROFICIENCY pairs (1-5) separated by ';', codes from GET /reference/skills"
LANGUAGES_HELP = "ISO 639-1 code:LEVEL pairs (1-5) separated by ';'"
LEVELS_HELP = "levels of engagement separated by ';': " + ", ".join(m.value for m in Level)
WINDOWS_HELP = "periods START..END (YYYY-MM-DD) separated by ';'"
CREDENTIALS_HELP = (
    "CODE:EXPIRES or CODE:ISSUED/EXPIRES (YYYY-MM-DD) separated by ';', codes from GET /reference/credential-types; "
    "the whole list (a type left out is removed), verified by the importer today"
)
CREDENTIALS_EXAMPLE = "MEDICAL:2027-11-30; CPTM:2025-01-10/2030-01-09"

EXPERT_COLUMNS = [
    Column("full_name", "text", "the expert's name", "Amina Diallo", True),
    Column(
        "email",
        "text",
        "e-mail address; the key that matches an existing expert on re-import",
        "amina.diallo@example.org",
    ),
    Column("national_id", "text", "national id; with nationality, the key when there is no e-mail", "SN-1234567"),
    Column("category", "choice", _choices(Category), "police", True),
    Column("nationality", "code", "ISO 3166-1 alpha-3 code", "SEN", True),
    Column("gender", "choice", _choices(Gender), "female", True),
    Column("grade", "text", "one of " + ", ".join(GRADE_RANK), "P-4"),
    Column("source", "choice", _choices(Source), "secondee", True),
    Column("notice_days", "number", "days needed to deploy once selected, 0-365 (default 30)", "30"),
    Column(
        "screening_valid_until", "date", "human-rights screening valid through this date (YYYY-MM-DD)", "2029-12-31"
    ),
    Column("active", "bool", "true or false (default true)", "true"),
    Column(
        "state",
        "code",
        "nominating Member State (ISO3); empty for UN staff; ignored for Member State "
        "tokens, which import for their own state",
        "SEN",
    ),
    Column("skills", "skills", SKILLS_HELP, "SSR-STRATEGY:4; DDR-DESIGN:3"),
    Column("languages", "languages", LANGUAGES_HELP, "en:5; fr:3"),
    Column("levels", "levels", LEVELS_HELP, "strategic; operational"),
    Column("availability", "windows", WINDOWS_HELP + "; empty means any time", "2027-01-01..2027-12-31"),
    Column("leave", "windows", WINDOWS_HELP, "2027-07-01..2027-07-31"),
    Column("credentials", "credentials", CREDENTIALS_HELP, CREDENTIALS_EXAMPLE),
]

OFFER_COLUMNS = [
    Column(
        "title",
        "text",
        "the offer's title; with state, the key that matches an existing offer",
        "Police advisers team",
        True,
    ),
    Column("kind", "choice", _choices(OfferKind), "team", True),
    Column("slots", "number", "positions the offer can fill at once, 1-500 (default 1)", "3"),
    Column("category", "choice", _choices(Category), "police", True),
    Column("available_from", "date", "YYYY-MM-DD", "2027-01-01", True),
    Column("available_to", "date", "YYYY-MM-DD, not before available_from", "2027-12-31", True),
    Column("max_duration_days", "number", "longest deployment accepted, 1-3650; empty: no limit", "365"),
    Column("readiness", "choice", _choices(Readiness) + " (default pledged)", "ready"),
    Column("cost_bearer", "choice", _choices(CostBearer) + " (default member_state)", "member_state"),
    Column("notice_days", "number", "days needed to deploy, 0-365 (default 60)", "45"),
    Column("expires_on", "date", "renew before this date (YYYY-MM-DD, in the future)", "2030-06-30", True),
    Column(
        "status",
        "choice",
        _choices(OfferStatus) + " (default submitted; Member States: draft, submitted, withdrawn)",
        "submitted",
    ),
    Column("state", "code", "offering Member State (ISO3); required for HQ, ignored for Member State tokens", "NOR"),
    Column("skills", "skills", SKILLS_HELP, "SSR-STRATEGY:3"),
    Column("levels", "levels", LEVELS_HELP, "strategic"),
    Column("languages", "languages", LANGUAGES_HELP, "en:4"),
    Column("excluded_missions", "codes", "mission codes excluded, separated by ';'", "MINUSMA"),
    Column("excluded_states", "codes", "host states excluded (ISO3), separated by ';'", "MLI"),
    Column("credentials", "credentials", CREDENTIALS_HELP + ": an attestation for the whole team", CREDENTIALS_EXAMPLE),
]

COLUMNS: dict[str, list[Column]] = {"experts": EXPERT_COLUMNS, "offers": OFFER_COLUMNS}

FIX = {
    "skills": "write CODE:PROFICIENCY pairs separated by ';', e.g. SSR-STRATEGY:4; DDR-DESIGN:3",
    "languages": "write code:LEVEL pairs separated by ';', e.g. en:5; fr:3",
    "levels": "write levels separated by ';', e.g. strategic; operational",
    "windows": "write periods START..END separated by ';', e.g. 2027-01-01..2027-12-31",
    "credentials": f"write CODE:EXPIRES or CODE:ISSUED/EXPIRES separated by ';', e.g. {CREDENTIALS_EXAMPLE}",
    "date": "write the date as YYYY-MM-DD",
    "number": "write a whole number",
    "bool": "write true or false",
}


def columns_markdown(kind: Kind) -> str:
    """The columns of an import file as a Markdown table, for the OpenAPI description."""
    lines = ["| column | required | format | example |", "|---|---|---|---|"]
    for c in COLUMNS[kind]:
        lines.append(f"| `{c.name}` | {'yes' if c.required else ''} | {c.help} | `{c.example}` |")
    return "\n".join(lines)
