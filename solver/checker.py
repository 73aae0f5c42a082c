"""Independent plan checker: re-checks every hard rule from the instance alone.

Shares no code with the model or the candidate filter on purpose: plain loops,
plain dates. Returns the violations; an empty list means the plan is valid.
"""

from collections import defaultdict
from datetime import date, timedelta
from typing import cast

from schemas.enums import Readiness
from schemas.instance import Expert, Instance, Offer, Position
from schemas.plan import Plan


def _eligibility(inst: Instance, pos: Position, sup: Expert | Offer, is_offer: bool) -> list[str]:
    bad = []
    if pos.category is not None and sup.category != pos.category:
        bad.append("category")
    if pos.level not in sup.levels:
        bad.append("level")
    for code, need in pos.required_skills.items():
        if sup.skills.get(code, 0) < need:
            bad.append(f"skill {code}")
    for code, need in pos.languages.items():
        if sup.languages.get(code, 0) < need:
            bad.append(f"language {code}")
    if pos.grade_min is not None or pos.grade_max is not None:
        g = sup.grade
        if (
            g is None
            or (pos.grade_min is not None and g < pos.grade_min)
            or (pos.grade_max is not None and g > pos.grade_max)
        ):
            bad.append("grade")
    nat = cast(Offer, sup).state if is_offer else cast(Expert, sup).nationality  # is_offer: the caller knows
    if nat in pos.host_states:
        bad.append("nationality")
    if inst.today + timedelta(days=sup.notice_days) > pos.start:
        bad.append("notice")
    if is_offer:
        offer = cast(Offer, sup)
        if not (offer.available_from <= pos.start and pos.end <= offer.available_to):
            bad.append("availability")
        if offer.max_duration_days is not None and (pos.end - pos.start).days + 1 > offer.max_duration_days:
            bad.append("max duration")
        if pos.mission in offer.excluded_missions or set(pos.host_states) & set(offer.excluded_states):
            bad.append("offer caveat")
        ranks = list(Readiness)
        if ranks.index(offer.readiness) < ranks.index(inst.parameters.min_readiness):
            bad.append("readiness")
    else:
        expert = cast(Expert, sup)
        if pos.same_offer:
            bad.append("same-offer position given to an expert")
        if expert.availability and not any(w.start <= pos.start and pos.end <= w.end for w in expert.availability):
            bad.append("availability")
        if any(w.start <= pos.end and pos.start <= w.end for w in expert.leave):
            bad.append("leave")
    lacking = [c for c in pos.credentials if sup.credentials.get(c, date.min) < pos.end]
    return bad + [f"credential {c}" for c in lacking] + _nomination(inst, pos, sup.id)


def _nomination(inst: Instance, pos: Position, supplier_id: str) -> list[str]:
    """Nominated where the seat takes nominees only; every required stage passed (or, on a provisional plan,
    not yet sat), none failed."""
    bad = []
    mine = [n for n in pos.nominees if n.supplier_id == supplier_id]
    if pos.nominated_only and not mine:
        bad.append("nomination")
    for stage in pos.stages:
        if any(stage in n.failed for n in mine):
            bad.append(f"failed stage {stage.value}")
        elif not any(stage in n.passed for n in mine) and not inst.parameters.provisional:
            bad.append(f"stage {stage.value} not passed")
    return bad


def _clash(a_start: date, a_end: date, b_start: date, b_end: date, rest: int) -> bool:
    return a_start <= b_end + timedelta(days=rest) and b_start <= a_end + timedelta(days=rest)


def _overlaps(inst: Instance, plan: Plan, positions: dict[str, Position], offers: dict[str, Offer]) -> list[str]:
    rest = inst.parameters.rest_days
    out = []
    periods: defaultdict[str, list[tuple[date, date, str, int | None]]] = defaultdict(list)
    for d in inst.deployments:
        periods[d.supplier_id].append((d.start, d.end, "existing deployment", None))
    for a in plan.assignments:
        p = positions[a.position_id]
        periods[a.supplier_id].append((p.start, p.end, p.id, a.slot))
    for sid, items in periods.items():
        cap = offers[sid].slots if sid in offers else 1
        for i, (s1, e1, n1, slot1) in enumerate(items):
            if slot1 is not None and sid in offers and not 1 <= slot1 <= cap:
                out.append(f"{n1}: slot {slot1} of {sid} does not exist")
            load = sum(1 for s2, e2, _, _ in items if _clash(s1, e1, s2, e2, rest) and s2 <= s1)
            if load > cap:
                out.append(f"{sid} holds {load} overlapping engagements at {s1} (capacity {cap})")
            for s2, e2, n2, slot2 in items[i + 1 :]:
                same_slot = sid not in offers or (slot1 is not None and slot1 == slot2)
                if same_slot and (slot1 is not None or sid not in offers) and _clash(s1, e1, s2, e2, rest):
                    out.append(f"{sid} slot {slot1 or 1}: {n1} overlaps {n2}")
    return out


def _groups(inst: Instance, plan: Plan, offers: dict[str, Offer]) -> list[str]:
    out = []
    filled = {a.position_id: a.supplier_id for a in plan.assignments}
    members = defaultdict(list)
    for p in inst.positions:
        if p.group:
            members[p.group].append(p)
    for g, ps in members.items():
        if any(p.all_or_nothing for p in ps):
            n = sum(1 for p in ps if p.id in filled)
            if 0 < n < len(ps):
                out.append(f"group {g} is all-or-nothing but {n} of {len(ps)} are filled")
        if any(p.same_offer for p in ps):
            used = {filled[p.id] for p in ps if p.id in filled}
            if len(used) > 1:
                out.append(f"group {g} must come from one offer, got {sorted(used)}")
            if used - set(offers):
                out.append(f"group {g} is a Member State team but {sorted(used - set(offers))} are not offers")
    return out


def _by_id(inst: Instance) -> tuple[dict[str, Position], dict[str, Expert], dict[str, Offer]]:
    """The instance's positions, experts and offers, each by id."""
    return ({p.id: p for p in inst.positions}, {e.id: e for e in inst.experts}, {o.id: o for o in inst.offers})


def pins_against_rules(inst: Instance) -> list[str]:
    """Pins that break an eligibility rule (the data changed since, or the planner chose so): a pin
    overrides the rules, so the plan keeps them, and says which rules each one breaks."""
    positions, experts, offers = _by_id(inst)
    out = []
    for pin in inst.pins:
        pos = positions.get(pin.position_id)
        sup = experts.get(pin.supplier_id) or offers.get(pin.supplier_id)
        if pos is not None and sup is not None and (broken := _eligibility(inst, pos, sup, pin.supplier_id in offers)):
            out.append(f"pin {pin.position_id}/{pin.supplier_id} kept although it breaks: {', '.join(broken)}")
    return out


def check(inst: Instance, plan: Plan) -> list[str]:
    """Every hard-rule violation in the plan (empty list: the plan is valid)."""
    positions, experts, offers = _by_id(inst)
    pins = {(p.position_id, p.supplier_id) for p in inst.pins}
    forbidden = {(f.position_id, f.supplier_id) for f in inst.forbidden}
    out = []
    seen = set()
    for a in plan.assignments:
        pos = positions.get(a.position_id)
        sup = experts.get(a.supplier_id) or offers.get(a.supplier_id)
        if pos is None or sup is None:
            out.append(f"{a.position_id}/{a.supplier_id}: unknown position or supplier")
            continue
        if a.position_id in seen:
            out.append(f"{a.position_id} is filled twice")
        seen.add(a.position_id)
        if (a.position_id, a.supplier_id) in forbidden:
            out.append(
                f"{a.position_id}/{a.supplier_id}: pair was rejected by a planner or declined by its Member State"
            )
        if (a.position_id, a.supplier_id) not in pins:
            for rule in _eligibility(inst, pos, sup, a.supplier_id in offers):
                out.append(f"{a.position_id}/{a.supplier_id}: breaks {rule}")
    given = {(a.position_id, a.supplier_id) for a in plan.assignments}
    out += [f"pin {p}/{s} is missing" for p, s in sorted(pins - given)]
    out += _overlaps(inst, plan, positions, offers)
    out += _groups(inst, plan, offers)
    return out
