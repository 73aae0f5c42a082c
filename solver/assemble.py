"""A plan from the chosen pairs: assignments with their slots and scores, then why each empty seat is empty.

Its own module because it needs both the scores and the explanations, and explanations need scores.
"""

from collections.abc import Iterable
from typing import SupportsInt, TypedDict, Unpack

import numpy as np

from schemas.plan import Assignment, ModelSize, Plan, SolveStatus
from solver.explain import unfilled_reasons
from solver.score import breakdown, objectives, slots_of
from solver.structure import Structure


class Extra(TypedDict, total=False):
    """What a solver adds to the plan besides its choice."""

    best_bound: int
    gap: float
    model: ModelSize
    messages: list[str]


def assemble(st: Structure, chosen: Iterable[SupportsInt], status: SolveStatus, **extra: Unpack[Extra]) -> Plan:
    """A plan from chosen pair indices: assignments with slots and scores, then explanations."""
    ks = np.asarray(sorted(int(k) for k in chosen), dtype=np.int64)
    slots = slots_of(st, ks)
    pinned = set(st.pinned_pairs)
    assignments = [
        Assignment(
            position_id=st.inst.positions[st.pair_pos[k]].id,
            supplier_id=st.sup.ids[st.pair_sup[k]],
            slot=slots.get(int(k), 1),
            pinned=int(k) in pinned,
            score=breakdown(st, int(k)),
        )
        for k in ks
    ]
    plan = Plan(status=status, assignments=assignments, objectives=objectives(st, ks), **extra)
    plan.unfilled = unfilled_reasons(st, ks)
    return plan
