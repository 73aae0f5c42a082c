"""What a solve keeps for the next request about the same plan: the structure, the chosen pairs and each
independent part's solution with the digest of what it depended on.

A planner's next question about a plan (alternatives for a seat, a re-solve after one decision) then starts
from here instead of rebuilding the candidate structure from the instance, and a re-solve takes over every part
that the decisions since did not touch (docs/solver.md, "Incremental re-solve").
"""

from dataclasses import dataclass, field

import numpy as np

from schemas.instance import Instance
from schemas.plan import Plan
from solver.structure import Structure, build_structure
from solver.suppliers import Ints

Pair = tuple[str, str]  # (position id, supplier id)


@dataclass
class KeptPart:
    """One component's solution, by ids, and whether it was proven optimal."""

    digest: str
    previous_digest: str
    chosen: list[Pair]
    optimal: bool


@dataclass
class Kept:
    """A solved plan's instance, structure, chosen pair indices and its components' solutions."""

    instance: Instance
    structure: Structure
    plan: Plan
    chosen: Ints
    parts: dict[str, KeptPart] = field(default_factory=dict)  # by digest


def rebuild(instance: Instance, plan: Plan) -> Kept:
    """The structure of a plan solved in another process, with its chosen pairs (no parts: nothing to take over)."""
    st = build_structure(instance)
    where = {(p, s): k for k, (p, s) in enumerate(zip(st.pair_pos.tolist(), st.pair_sup.tolist()))}
    chosen = [
        where.get((st.position_index.get(a.position_id, -1), st.sup.index.get(a.supplier_id, -1)))
        for a in plan.assignments
    ]
    return Kept(instance, st, plan, np.array(sorted(k for k in chosen if k is not None), dtype=np.int64))


DECISIONS = ("pins", "forbidden", "previous")  # what a planner's decisions change between a plan and its re-solve


def structure_for(instance: Instance, before: Kept | None) -> Structure:
    """The instance's structure, reusing the plan before's suppliers and the candidates of every seat whose pins
    and rejections did not change, when nothing but the planner's decisions changed; else built anew."""
    if before is None:
        return build_structure(instance)
    old = before.instance
    if any(getattr(instance, f) != getattr(old, f) for f in Instance.model_fields if f not in DECISIONS):
        return build_structure(instance)
    touched = {d.position_id for d in (*old.pins, *instance.pins)}
    touched |= {d.position_id for d in (*old.forbidden, *instance.forbidden)}
    touched -= {p for p in touched if _decisions(old, p) == _decisions(instance, p)}
    st = before.structure
    kept = [(i, f) for i, f in enumerate(st.filtered) if f.position.id not in touched]
    reuse = {f.position.id: f for _, f in kept}
    scores = {f.position.id: (st.fit[st.pos_pairs[i]], st.spc[st.pos_pairs[i]]) for i, f in kept}
    return build_structure(instance, st.sup, reuse, scores)


def _decisions(instance: Instance, position_id: str) -> tuple[set[str], set[str]]:
    pins = {d.supplier_id for d in instance.pins if d.position_id == position_id}
    return pins, {d.supplier_id for d in instance.forbidden if d.position_id == position_id}
