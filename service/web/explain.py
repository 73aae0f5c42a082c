"""Why a seat stayed empty, in plain words, from the solver's explanation of it."""

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


def _count(n: int, what: str = "candidate") -> str:
    return f"{n} {what}{'' if n == 1 else 's'}"


def plain_reasons(detail: dict) -> list[str]:
    """One sentence per step: the pool, each rule's cut, then who was left and where they went."""
    lines = []
    if "pool" in detail:
        lines.append(f"Started from {_count(detail['pool'])} (experts and offer slots).")
    for step in detail.get("eliminations") or []:
        rule = str(step.get("rule", ""))
        what = step.get("detail") or RULES.get(rule.split(":")[0], rule)
        lines.append(f"{step.get('eliminated', 0)} {what} — {step.get('remaining', 0)} left.")
        if rule in HINTS:
            lines.append(HINTS[rule])
    competitors = detail.get("competitors") or []
    for c in competitors[:5]:
        lines.append(f"{c.get('supplier_id')} was eligible but went to {c.get('taken_by')}: {c.get('why')}.")
    if len(competitors) > 5:
        lines.append(f"… and {len(competitors) - 5} more eligible candidates went to other positions.")
    return lines
