"""Why a seat stayed empty, in plain words, from the solver's explanation of it: names for the solver's codes
(experts, offers, seats, groups) and counts in good grammar."""

import re
from collections.abc import Mapping

from sqlmodel import Session

from schemas.ids import SeatId, SupplierId
from service.deployments.repository import suppliers
from service.planning import repository as planning_repo
from service.reports import repository as reports_repo

RULES = {
    "category": "of the wrong category",
    "level": "not working at this level",
    "skill": "missing a required skill",
    "language": "not speaking a required language",
    "availability": "not available for the whole period",
    "notice": "unable to arrive in time",
    "nationality": "nationals of the host country",
    "credential": "without a required credential valid through the end",
    "caveat": "excluded by their offer's caveats",
    "readiness": "offers below the readiness the plan asks for",
    "grade": "outside the grade range",
    "forbidden": "rejected earlier for this position, or declined by its Member State",
    "nomination": "not nominated for this position",
    "assessment_failed": "who failed an assessment stage the position requires",
    "assessment_pending": "who have not yet passed an assessment stage the position requires",
}
# What a step of the candidate rules means for the planner, said once after it.
HINTS = {
    "nomination": "This position takes only candidates their Member State nominated for it (a call for "
    "nominations covers it, or the plan takes nominations only).",
    "assessment_failed": "A failed assessment stage always rules a candidate out.",
    "assessment_pending": "Only nominees sit assessment stages; a provisional plan may propose a nominee who has "
    "not yet sat one.",
}


# The solver's codes for experts and offers (E17, O4), seats (P12-3) and groups (R7:MINUSCA-7-team).
CODE = re.compile(r"\b(?:[EO]\d+|P\d+-\d+|R\d+:[A-Za-z0-9_.-]*[A-Za-z0-9])")
SKILL = re.compile(r"\bskill ([A-Z][A-Z0-9]*(?:-[A-Z0-9]+)*)\b")
SEAT_LIST = re.compile(r"\b(P\d+-\d+(?:, P\d+-\d+)+)( has no eligible supplier)?")
# The solver counts as "n are ...": one candidate "is".
SINGULAR = [
    (re.compile(r"\b1 are\b"), "1 is"),
    (re.compile(r"\b1 do not\b"), "1 does not"),
    (re.compile(r"\b1 lack\b"), "1 lacks"),
    (re.compile(r"\b1 have\b"), "1 has"),
    (re.compile(r"\b1 hold\b"), "1 holds"),
    (re.compile(r"\b1 were\b"), "1 was"),
]


def _count(n: int, what: str = "candidate") -> str:
    return f"{n} {what}{'' if n == 1 else 's'}"


def codes(texts: list[str]) -> set[str]:
    """Every solver code in these texts, skills as ``skill:CODE``."""
    found = {code for text in texts for code in CODE.findall(text)}
    return found | {f"skill:{code}" for text in texts for code in SKILL.findall(text)}


def _seats(match: re.Match, names: Mapping[str, str]) -> str:
    """``P10-1, P10-2, P10-3 has no eligible supplier`` → "Engineering team (seats 1, 2 and 3) have no eligible
    candidate"; a list over several positions names each."""
    by_position: dict[str, list[str]] = {}
    for code in match.group(1).split(", "):
        position, _, seat = code.partition("-")
        by_position.setdefault(position, []).append(seat)
    said = []
    for position, seats in by_position.items():
        title = names.get(f"{position}-{seats[0]}", "").rsplit(" (seat", 1)[0] or "a position"
        listed = seats[0] if len(seats) == 1 else ", ".join(seats[:-1]) + " and " + seats[-1]
        said.append(f"{title} ({'seat' if len(seats) == 1 else 'seats'} {listed})")
    return "; ".join(said) + (" have no eligible candidate" if match.group(2) else "")


def plain(text: str, names: Mapping[str, str]) -> str:
    """The solver's sentence with names for its codes and "1 is" for "1 are"."""
    text = re.sub(r"\b([EO]\d+) by (P\d+-\d+)", r"\1 went to \2", text)
    text = SEAT_LIST.sub(lambda m: _seats(m, names), text)
    text = CODE.sub(lambda m: names.get(m.group(0), "someone"), text)
    text = SKILL.sub(lambda m: f"skill {names.get('skill:' + m.group(1), m.group(1))}", text)
    for pattern, said in SINGULAR:
        text = pattern.sub(said, text)
    text = text.replace("group the team of", "the team of")
    return text.replace("eligible suppliers", "eligible candidates").replace("no eligible supplier", "no candidate")


def plain_reasons(detail: dict, names: Mapping[str, str] | None = None) -> list[str]:
    """One sentence per step: the pool, each rule's cut, then who was left and where they went."""
    names = names or {}
    lines = []
    if "pool" in detail:
        lines.append(f"Started from {_count(detail['pool'])} (experts and offer slots).")
    for step in detail.get("eliminations") or []:
        rule = str(step.get("rule", ""))
        what = step.get("detail") or RULES.get(rule.split(":")[0], rule)
        lines.append(plain(f"{step.get('eliminated', 0)} {what} — {step.get('remaining', 0)} left.", names))
        if rule in HINTS:
            lines.append(HINTS[rule])
    competitors = detail.get("competitors") or []
    for c in competitors[:5]:
        line = f"{c.get('supplier_id')} was eligible but went to {c.get('taken_by')}: {c.get('why')}."
        lines.append(plain(line, names))
    if len(competitors) > 5:
        more = len(competitors) - 5
        lines.append(f"… and {more} more eligible {'candidate' if more == 1 else 'candidates'} went to other seats.")
    return lines


def code_names(session: Session, texts: list[str]) -> dict[str, str]:
    """Names for the solver's codes in these texts: people and offers, seats of positions, teams of requests."""
    found = codes(texts)
    people = suppliers(session, [SupplierId.parse(c) for c in found if c[0] in "EO"])
    names = {str(sid): supplier.name for sid, supplier in people.items()}
    if any(code.startswith("skill:") for code in found):
        names |= {f"skill:{code}": f"“{name}”" for code, (name, _) in reports_repo.skill_names(session).items()}
    for code in found - {c for c in found if c.startswith("skill:")}:
        if code[0] == "P":
            seat = SeatId.parse(code)
            position = planning_repo.position(session, seat.position)
            names[code] = f"{position.title if position else 'a position'} (seat {seat.seat})"
        elif code[0] == "R":
            asked = planning_repo.capacity_request(session, int(code[1:].partition(":")[0]))
            names[code] = f"the team of request “{asked.title}”" if asked else "a team"
    return names


def failure(session: Session, error: str) -> str:
    """A failed plan's error in the planners' words: "P22-3/O36: pair was rejected" names the seat and supplier."""
    text = re.sub(r"\b(P\d+-\d+)/([EO]\d+)", r"\2 in \1", error)
    said = plain(text, code_names(session, [text]))
    return said[:1].upper() + said[1:]


def main_reason(rule: str) -> str:
    """The rule that cut the most candidates from a seat, as the gap report counts it, in the planners' words."""
    if rule == "competition":
        return "every candidate left went to another seat"
    if rule in RULES:
        return f"those ruled out were mostly those {RULES[rule]}"
    return "no candidate at all"
