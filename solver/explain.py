"""Explanations: why a position is unfilled, and the ranked alternatives for a position."""

from collections import defaultdict

from schemas.instance import Instance, Position
from schemas.plan import Alternative, Competitor, Elimination, Plan, Unfilled
from solver.score import breakdown
from solver.structure import Structure, build_structure
from solver.suppliers import Ints

MAX_COMPETITORS = 5


def _overlap(a: Position, b: Position, rest: int) -> bool:
    return a.start.toordinal() <= b.end.toordinal() + rest and b.start.toordinal() <= a.end.toordinal() + rest


def _why(winner: Position, loser: Position) -> str:
    if winner.priority < loser.priority:
        return f"{winner.id} has priority {winner.priority}, higher than {loser.priority}"
    if winner.priority == loser.priority:
        return f"{winner.id} has the same priority {winner.priority}; the plan scores higher with it filled"
    return f"{winner.id} has lower priority {winner.priority} but is pinned or part of a group the plan completes"


def _sentence(pool: int, steps: list[Elimination], eligible: int, competitors: list[Competitor]) -> str:
    parts, left = [], pool
    for i, e in enumerate(steps):
        head = f"{e.eliminated:,} {e.detail}" if i == 0 else f"of the {left:,} left, {e.eliminated:,} {e.detail}"
        parts.append(head)
        left = e.remaining
    parts.append(f"{left:,} left")
    if eligible and competitors:
        taken = ", ".join(f"{c.supplier_id} by {c.taken_by}" for c in competitors)
        parts.append(f"eligible suppliers were used elsewhere ({taken})")
    elif eligible:
        parts.append("eligible suppliers were kept out by a group or offer-capacity rule")
    return "; ".join(parts)


def _holders(st: Structure, chosen: Ints) -> dict[int, list[int]]:
    held = defaultdict(list)
    for k in chosen:
        held[int(st.pair_sup[k])].append(int(st.pair_pos[k]))
    return held


def _group_note(st: Structure, i: int, filled: set[int]) -> str:
    pos = st.inst.positions[i]
    if not pos.group:
        return ""
    members = st.all_or_nothing.get(pos.group, [])
    empty = [st.inst.positions[j].id for j in members if len(st.pos_pairs[j]) == 0]
    if empty:
        return f"group {pos.group} is all-or-nothing and {', '.join(empty)} has no eligible supplier"
    if members and not any(j in filled for j in members):
        return f"group {pos.group} is all-or-nothing and could not be filled whole"
    team = st.same_offer.get(pos.group, [])
    if team and any(j in filled for j in team):
        return f"group {pos.group} is a team from one offer, and that offer has no slot left for it"
    return ""


def pin_conflicts(inst: Instance) -> list[str]:
    """Pins that cannot hold together: one position pinned twice, or one person pinned to overlapping positions."""
    rest = inst.parameters.rest_days
    positions = {p.id: p for p in inst.positions}
    slots = {o.id: o.slots for o in inst.offers}
    out, by_position, by_supplier = [], defaultdict(list), defaultdict(list)
    for pin in inst.pins:
        by_position[pin.position_id].append(pin.supplier_id)
        if pin.position_id in positions:
            by_supplier[pin.supplier_id].append(positions[pin.position_id])
    out += [f"{p} is pinned to {', '.join(s)}" for p, s in by_position.items() if len(s) > 1]
    for s, ps in by_supplier.items():
        for i, a in enumerate(ps):
            clash = [b.id for b in ps[i + 1 :] if _overlap(a, b, rest)]
            if len(clash) >= slots.get(s, 1):
                out.append(f"{s} is pinned to {a.id} and to overlapping {', '.join(clash)}")
    return out


def unfilled_reasons(st: Structure, chosen: Ints) -> list[Unfilled]:
    filled = {int(st.pair_pos[k]) for k in chosen}
    held = _holders(st, chosen)
    pool = len(st.sup)
    out = []
    for i, f in enumerate(st.filtered):
        if i in filled:
            continue
        steps = [Elimination(rule=r, eliminated=n, remaining=m, detail=d) for r, n, m, d in f.steps]
        comps: list[Competitor] = []
        for s in f.candidates:
            for other_id in _load_blockers(st, int(s), f.position, held.get(int(s), [])):
                other = st.inst.positions[st.position_index[other_id]]
                if len(comps) < MAX_COMPETITORS:
                    comps.append(Competitor(supplier_id=st.sup.ids[s], taken_by=other.id, why=_why(other, f.position)))
        reason = _sentence(pool, steps, len(f.candidates), comps)
        note = _group_note(st, i, filled)
        if note:
            reason += "; " + note
        out.append(
            Unfilled(
                position_id=f.position.id,
                pool=pool,
                eliminations=steps,
                eligible=len(f.candidates),
                competitors=comps,
                reason=reason,
            )
        )
    return out


def _load_blockers(st: Structure, s: int, pos: Position, holders: list[int]) -> list[str]:
    """Assignments of supplier s that would have to give way for it to take pos."""
    rest = st.inst.parameters.rest_days
    clash = [j for j in holders if st.inst.positions[j].id != pos.id and _overlap(st.inst.positions[j], pos, rest)]
    dp = st.sup.deployments
    rows = slice(dp.ptr[s], dp.ptr[s + 1])
    busy = int(((dp.start[rows] <= pos.end.toordinal() + rest) & (dp.end[rows] + rest >= pos.start.toordinal())).sum())
    cap = int(st.sup.capacity[s])
    if len(clash) + busy < cap:
        return []
    return [st.inst.positions[j].id for j in clash]


def alternatives(
    inst: Instance, plan: Plan, position_id: str, k: int = 5, structure: Structure | None = None
) -> list[Alternative]:
    """The best k suppliers for a position, scored against the fixed plan, with what each displaces."""

    st = structure or build_structure(inst)
    i = next((n for n, p in enumerate(inst.positions) if p.id == position_id), None)
    if i is None:
        raise KeyError(f"no position {position_id!r} in the instance")
    pos = inst.positions[i]
    pos_index = {p.id: n for n, p in enumerate(inst.positions)}
    weight = st.tier_weight
    held = defaultdict(list)
    for a in plan.assignments:
        if a.supplier_id in st.sup.index:
            held[st.sup.index[a.supplier_id]].append(pos_index[a.position_id])
    alts = []
    for pair in st.pos_pairs[i]:
        s = int(st.pair_sup[pair])
        score = breakdown(st, int(pair))
        displaces = _load_blockers(st, s, pos, held.get(s, []))
        lost = sum(weight[inst.positions[pos_index[d]].priority] for d in displaces)
        total = score["priority"] - lost
        alts.append(Alternative(supplier_id=st.sup.ids[s], score=score, total=total, displaces=displaces))
    alts.sort(key=lambda a: (-a.total, -a.score["fit"], -a.score["spc"], a.supplier_id))
    return alts[:k]
