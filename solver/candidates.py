"""Candidate generation: the eligibility rules, applied in a fixed order.

Each rule is a named function ``rule_<name>(sup, pos, ctx, idx)`` that returns a
boolean mask over the supplier indices ``idx`` still in the pool (vectorised
with numpy) and a short detail for explanations. Applying them one after the
other gives, for free, how many suppliers each rule eliminated.
"""

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date

import numpy as np

from schemas.enums import READINESS_RANK, AssessmentStage, Readiness
from schemas.instance import Instance, Position
from solver.suppliers import CATEGORIES, LEVEL_BIT, Bools, Ints, Suppliers, Windows, build_suppliers


@dataclass
class Context:
    today: int
    rest: int
    forbidden: dict[str, set[int]]
    same_offer_groups: set[str] = field(default_factory=set)
    min_readiness: Readiness = Readiness.pledged
    provisional: bool = False
    nominees: dict[str, Ints] = field(default_factory=dict)  # position id -> its nominees' supplier indices
    # position id -> stage -> indices of the nominees whose latest result there is a pass (a fail)
    passed: dict[str, dict[AssessmentStage, Ints]] = field(default_factory=dict)
    failed: dict[str, dict[AssessmentStage, Ints]] = field(default_factory=dict)
    credential_names: dict[str, str] = field(default_factory=dict)  # type -> its name, for the words


@dataclass
class Filtered:
    """Eligible suppliers of one position and the elimination trail that led there."""

    position: Position
    candidates: Ints
    steps: list[tuple[str, int, int, str]] = field(default_factory=list)
    pinned: int | None = None


Verdict = tuple[Bools | None, str]
Rule = Callable[[Suppliers, Position, Context, Ints], Verdict]


def _any_window(win: Windows, idx: Ints, hits: Callable[[Ints, Ints], Bools]) -> Bools:
    """For each supplier of idx: does any of its rows satisfy hits(start, end)?"""
    local, start, end = win.gather(idx)
    return np.bincount(local[hits(start, end)], minlength=len(idx)) > 0


def rule_category(sup: Suppliers, pos: Position, ctx: Context, idx: Ints) -> Verdict:
    if pos.category is None:
        return None, ""
    return sup.category[idx] == CATEGORIES[pos.category], f"are not {pos.category.value}"


def rule_level(sup: Suppliers, pos: Position, ctx: Context, idx: Ints) -> Verdict:
    return (sup.levels[idx] & LEVEL_BIT[pos.level]) != 0, f"do not work at {pos.level.value} level"


def rule_skill(code: str, minimum: int) -> Rule:
    def rule(sup: Suppliers, pos: Position, ctx: Context, idx: Ints) -> Verdict:
        return sup.proficiency(sup.skills, code)[idx] >= minimum, f"lack skill {code} ≥ {minimum}"

    rule.__name__ = f"skill:{code}>={minimum}"
    return rule


LANGUAGE_NAMES = {
    "ar": "Arabic",
    "en": "English",
    "es": "Spanish",
    "fr": "French",
    "pt": "Portuguese",
    "ru": "Russian",
    "zh": "Chinese",
}


def rule_language(code: str, minimum: int) -> Rule:
    name = LANGUAGE_NAMES.get(code, code)

    def rule(sup: Suppliers, pos: Position, ctx: Context, idx: Ints) -> Verdict:
        return sup.proficiency(sup.languages, code)[idx] >= minimum, f"do not speak {name} at level ≥ {minimum}"

    rule.__name__ = f"language:{code}>={minimum}"
    return rule


def rule_grade(sup: Suppliers, pos: Position, ctx: Context, idx: Ints) -> Verdict:
    if pos.grade_min is None and pos.grade_max is None:
        return None, ""
    g = sup.grade[idx]
    ok = g >= 0
    if pos.grade_min is not None:
        ok &= g >= pos.grade_min
    if pos.grade_max is not None:
        ok &= g <= pos.grade_max
    return ok, "are outside the grade range (or of unknown grade)"


def rule_nationality(sup: Suppliers, pos: Position, ctx: Context, idx: Ints) -> Verdict:
    codes = [sup.nation_code[h] for h in pos.host_states if h in sup.nation_code]
    if not codes:
        return None, ""
    return ~np.isin(sup.nationality[idx], codes), "are nationals of the host state"


def rule_credential(code: str, name: str) -> Rule:
    """Holds a credential of this type valid through the position's last day (an offer: attested for its team)."""

    def rule(sup: Suppliers, pos: Position, ctx: Context, idx: Ints) -> Verdict:
        until = sup.credentials.get(code)
        held = until[idx] >= pos.end.toordinal() if until is not None else np.zeros(len(idx), dtype=np.bool_)
        return held, f"lack a valid {name} through {pos.end}"

    rule.__name__ = f"credential:{code}"
    return rule


def rule_availability(sup: Suppliers, pos: Position, ctx: Context, idx: Ints) -> Verdict:
    s, e = pos.start.toordinal(), pos.end.toordinal()
    covered = _any_window(sup.availability, idx, lambda a, b: (a <= s) & (b >= e))
    on_leave = _any_window(sup.leave, idx, lambda a, b: (a <= e) & (b >= s))
    return covered & ~on_leave, "are not available for the whole period (windows or leave)"


def rule_deployed(sup: Suppliers, pos: Position, ctx: Context, idx: Ints) -> Verdict:
    s, e = pos.start.toordinal() - ctx.rest, pos.end.toordinal() + ctx.rest
    local, start, end = sup.deployments.gather(idx[~sup.is_offer[idx]])
    hit = (start <= e) & (end >= s)
    if not hit.any():
        return None, ""
    experts = idx[~sup.is_offer[idx]]
    free = ~np.isin(idx, experts[local[hit]])
    return free, f"are deployed elsewhere until {date.fromordinal(int(end[hit].max()))}"


def rule_notice(sup: Suppliers, pos: Position, ctx: Context, idx: Ints) -> Verdict:
    return ctx.today + sup.notice[idx] <= pos.start.toordinal(), "cannot arrive in time (notice days)"


def rule_offer_caveats(sup: Suppliers, pos: Position, ctx: Context, idx: Ints) -> Verdict:
    ok = (pos.end - pos.start).days + 1 <= sup.max_duration[idx]
    excluded = [sup.excluded_missions.get(pos.mission) if pos.mission is not None else None]
    excluded += [sup.excluded_states.get(h) for h in pos.host_states]
    for flags in excluded:
        if flags is not None:
            ok &= ~flags[idx]
    return ok, "are offers whose caveats exclude this mission, state or duration"


def rule_readiness(sup: Suppliers, pos: Position, ctx: Context, idx: Ints) -> Verdict:
    if ctx.min_readiness == Readiness.pledged:
        return None, ""
    lowest = READINESS_RANK[ctx.min_readiness]
    return sup.readiness[idx] >= lowest, f"are offers not yet {ctx.min_readiness.value.replace('_', ' ')}"


STAGE_WORDS = {
    AssessmentStage.document_check: "the document check",
    AssessmentStage.interview: "the interview",
    AssessmentStage.language_test: "the language test",
    AssessmentStage.driving_test: "the driving test",
    AssessmentStage.firearms_test: "the firearms test",
}


def _stages(stages: list[AssessmentStage]) -> str:
    """Stages in words: "the interview", "the interview or the language test"."""
    words = [STAGE_WORDS[s] for s in stages]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


NO_INDEX = np.zeros(0, dtype=np.int64)


def rule_nomination(sup: Suppliers, pos: Position, ctx: Context, idx: Ints) -> Verdict:
    if not pos.nominated_only:
        return None, ""
    if not pos.nominees:
        return np.zeros(len(idx), dtype=np.bool_), "were not nominated: no nomination was received for this position"
    return np.isin(idx, ctx.nominees.get(pos.id, NO_INDEX)), "were not nominated for this position"


def rule_assessment_failed(sup: Suppliers, pos: Position, ctx: Context, idx: Ints) -> Verdict:
    failed = ctx.failed.get(pos.id, {})
    ok = np.ones(len(idx), dtype=np.bool_)
    named = []
    for stage in pos.stages:
        hit = np.isin(idx, failed.get(stage, NO_INDEX))
        if hit.any():
            named.append(stage)
        ok &= ~hit
    if not named:
        return None, ""
    return ok, f"failed {_stages(named)}"


def rule_assessment_pending(sup: Suppliers, pos: Position, ctx: Context, idx: Ints) -> Verdict:
    if not pos.stages or ctx.provisional:
        return None, ""
    passed = ctx.passed.get(pos.id, {})
    ok = np.ones(len(idx), dtype=np.bool_)
    named = []
    for stage in pos.stages:
        has = np.isin(idx, passed.get(stage, NO_INDEX))
        if not has.all():
            named.append(stage)
        ok &= has
    return ok, f"have not yet passed {_stages(named) if named else _stages(pos.stages)}"


def rule_same_offer(sup: Suppliers, pos: Position, ctx: Context, idx: Ints) -> Verdict:
    if not (pos.same_offer or pos.group in ctx.same_offer_groups):
        return None, ""
    return sup.is_offer[idx], "are not Member State offers (team position)"


def rule_forbidden(sup: Suppliers, pos: Position, ctx: Context, idx: Ints) -> Verdict:
    banned = ctx.forbidden.get(pos.id)
    if not banned:
        return None, ""
    return ~np.isin(idx, list(banned)), "were rejected by a planner or declined by their Member State"


FIXED_RULES: list[Rule] = [rule_category, rule_level]
LATE_RULES = [
    rule_grade,
    rule_nationality,
    rule_availability,
    rule_deployed,
    rule_notice,
    rule_offer_caveats,
    rule_readiness,
    rule_nomination,
    rule_assessment_failed,
    rule_assessment_pending,
    rule_same_offer,
    rule_forbidden,
]


def rules_for(pos: Position, names: dict[str, str]) -> list[Rule]:
    """The rules of one position, in the order that explanations report them (credentials after nationality:
    where the screening, the first credential, always stood)."""
    skills = [rule_skill(c, m) for c, m in sorted(pos.required_skills.items())]
    langs = [rule_language(c, m) for c, m in sorted(pos.languages.items())]
    held = [rule_credential(c, names.get(c, c)) for c in pos.credentials]
    late = LATE_RULES[:2] + held + LATE_RULES[2:]
    return FIXED_RULES + skills + langs + late


def rule_name(rule: Rule) -> str:
    return rule.__name__.removeprefix("rule_")


def filter_position(sup: Suppliers, pos: Position, ctx: Context) -> Filtered:
    """The reference filter: every rule of the position over the whole pool (``PoolIndex`` gives the same, faster)."""
    return _filter(sup, pos, ctx, rules_for(pos, ctx.credential_names))


def _filter(sup: Suppliers, pos: Position, ctx: Context, rules: list[Rule]) -> Filtered:
    return _sift(sup, pos, ctx, rules, np.arange(len(sup)), [])


def _sift(
    sup: Suppliers, pos: Position, ctx: Context, rules: list[Rule], idx: Ints, steps: list[tuple[str, int, int, str]]
) -> Filtered:
    """Apply the rules in order to the pool idx, appending to the trail each rule that eliminated someone."""
    for rule in rules:
        if len(idx) == 0:
            break
        mask, detail = rule(sup, pos, ctx, idx)
        if mask is None:
            continue
        kept = idx[mask]
        if len(kept) < len(idx):
            steps.append((rule_name(rule), len(idx) - len(kept), len(kept), detail))
        idx = kept
    return Filtered(pos, idx, steps)


# Rules whose verdict on a supplier does not depend on the rest of the pool, and whose detail names only the rule's
# own code and minimum: their survivors over the whole pool, intersected with any pool, are their survivors there.
POOL_FREE = ("skill:", "language:")


class PoolIndex:
    """The filter of ``filter_position`` with its first rules answered from indexes kept for one ``generate``.

    Over the whole pool (100,000 suppliers at the huge size) each rule costs a pass, 20,000 times. But the category
    and level rules read only the position's category and level: their trail and survivors are computed once per
    (category, level) pair, by ``_filter`` itself. The next rule, a skill (or a language), is pool-free: its
    holders over the whole pool are computed once per code and minimum, by the rule itself, and intersected with
    the (category, level) survivors, which gives exactly the pool and count that rule leaves in a full run. The
    remaining rules then run as usual on that pool, usually a few hundred suppliers.
    """

    def __init__(self, sup: Suppliers, ctx: Context) -> None:
        self.sup, self.ctx = sup, ctx
        self._fixed: dict[tuple[object, object], tuple[Filtered, Bools]] = {}
        self._holders: dict[str, tuple[Ints, str]] = {}

    def filter(self, pos: Position, rules: list[Rule] | None = None) -> Filtered:
        rules = rules_for(pos, self.ctx.credential_names) if rules is None else rules
        n = len(FIXED_RULES)
        if rules[:n] != FIXED_RULES:
            return _filter(self.sup, pos, self.ctx, rules)
        fixed, inside = self._after_fixed(pos)
        idx, steps, rest = fixed.candidates, list(fixed.steps), rules[n:]
        if len(idx) and rest and rule_name(rest[0]).startswith(POOL_FREE):
            holders, detail = self._held(rest[0], pos)
            kept = holders[inside[holders]]
            if len(kept) < len(idx):
                steps.append((rule_name(rest[0]), len(idx) - len(kept), len(kept), detail))
            idx, rest = kept, rest[1:]
        return _sift(self.sup, pos, self.ctx, rest, idx, steps)

    def _after_fixed(self, pos: Position) -> tuple[Filtered, Bools]:
        """Survivors of the category and level rules (and a mask of them over the whole pool), once per pair."""
        key = (pos.category, pos.level)
        if key not in self._fixed:
            fixed = _filter(self.sup, pos, self.ctx, FIXED_RULES)
            inside = np.zeros(len(self.sup), dtype=np.bool_)
            inside[fixed.candidates] = True
            self._fixed[key] = (fixed, inside)
        return self._fixed[key]

    def _held(self, rule: Rule, pos: Position) -> tuple[Ints, str]:
        """The suppliers of the whole pool that a pool-free rule keeps (sorted), and its detail."""
        name = rule_name(rule)
        if name not in self._holders:
            mask, detail = rule(self.sup, pos, self.ctx, np.arange(len(self.sup)))
            assert mask is not None, f"{name} is listed as pool-free but declined to judge"
            self._holders[name] = (np.flatnonzero(mask).astype(np.int64), detail)
        return self._holders[name]


def broken_rules(inst: Instance, position_id: str, supplier_id: str) -> list[tuple[str, str]]:
    """Every rule of the position that the supplier fails, as (rule name, detail), in the filter's order.

    The same rule functions as ``filter_position``, run on a pool of one and without stopping at the first
    failure, so that a check can name every reason at once.
    """
    sup = build_suppliers(inst)
    pos = next(p for p in inst.positions if p.id == position_id)
    ctx, idx = context(inst, sup), np.array([sup.index[supplier_id]], dtype=np.int64)
    broken = []
    for rule in rules_for(pos, ctx.credential_names):
        mask, detail = rule(sup, pos, ctx, idx)
        if mask is not None and not bool(mask[0]):
            broken.append((rule_name(rule), detail))
    return broken


def blocked_by_credentials(inst: Instance, position_ids: Iterable[str]) -> dict[str, dict[str, int]]:
    """For each position that only credentials keep empty: credential type -> how many of the suppliers that every
    other rule lets through lack it. A position is left out when no supplier passes the other rules, or when one
    of them holds every type it requires (it was empty for another reason: a competing position, a group).

    The position's own rules, run without its ``credential:*`` ones and then those alone on the survivors: the
    words "would be filled but for a credential" come from the same rules that kept the seat empty.
    """
    sup = build_suppliers(inst)
    ctx = context(inst, sup)
    index = PoolIndex(sup, ctx)
    wanted = set(position_ids)
    out: dict[str, dict[str, int]] = {}
    for pos in inst.positions:
        if pos.id not in wanted or not pos.credentials:
            continue
        rules = rules_for(pos, ctx.credential_names)
        held = [r for r in rules if rule_name(r).startswith("credential:")]
        idx = index.filter(pos, [r for r in rules if r not in held]).candidates
        if len(idx) == 0:
            continue
        holds = {rule_name(r).removeprefix("credential:"): r(sup, pos, ctx, idx)[0] for r in held}
        if np.logical_and.reduce([h for h in holds.values() if h is not None]).any():
            continue
        out[pos.id] = {code: int((~h).sum()) for code, h in holds.items() if h is not None and not h.all()}
    return out


def context(inst: Instance, sup: Suppliers) -> Context:
    forbidden: dict[str, set[int]] = defaultdict(set)
    for f in inst.forbidden:
        if f.supplier_id in sup.index:
            forbidden[f.position_id].add(sup.index[f.supplier_id])
    teams = {p.group for p in inst.positions if p.group and p.same_offer}
    parameters = inst.parameters
    ctx = Context(
        inst.today.toordinal(),
        parameters.rest_days,
        dict(forbidden),
        teams,
        parameters.min_readiness,
        parameters.provisional,
        credential_names=inst.credential_names,
    )
    _nominations(inst, sup, ctx)
    return ctx


def _indices(ids: list[str], sup: Suppliers) -> Ints:
    return np.array(sorted({sup.index[i] for i in ids if i in sup.index}), dtype=np.int64)


def _nominations(inst: Instance, sup: Suppliers, ctx: Context) -> None:
    """Each position's nominees and their stage results, as supplier indices (nominees no longer in the
    instance are left out)."""
    for p in inst.positions:
        if p.nominees:
            ctx.nominees[p.id] = _indices([n.supplier_id for n in p.nominees], sup)
        if p.stages and p.nominees:
            ns = p.nominees
            ctx.passed[p.id] = {s: _indices([n.supplier_id for n in ns if s in n.passed], sup) for s in p.stages}
            ctx.failed[p.id] = {s: _indices([n.supplier_id for n in ns if s in n.failed], sup) for s in p.stages}


def generate(inst: Instance, sup: Suppliers | None = None) -> tuple[Suppliers, list[Filtered]]:
    """Filter every position; pinned pairs join the candidates whatever the rules say."""
    sup = sup or build_suppliers(inst)
    index = PoolIndex(sup, context(inst, sup))
    return sup, _pinned(inst, sup, [index.filter(p) for p in inst.positions])


def generate_reference(inst: Instance, sup: Suppliers | None = None) -> tuple[Suppliers, list[Filtered]]:
    """``generate`` without the indexes: every rule over the whole pool, for tests that the fast path is exact."""
    sup = sup or build_suppliers(inst)
    ctx = context(inst, sup)
    return sup, _pinned(inst, sup, [filter_position(sup, p, ctx) for p in inst.positions])


def _pinned(inst: Instance, sup: Suppliers, out: list[Filtered]) -> list[Filtered]:
    by_id = {f.position.id: f for f in out}
    for pin in inst.pins:
        f = by_id.get(pin.position_id)
        s = sup.index.get(pin.supplier_id)
        if f is None or s is None:
            continue
        f.pinned = s
        if s not in f.candidates:
            f.candidates = np.append(f.candidates, s)
    return out
