"""A plan from the chosen pairs: assignments with their slots and scores, then why each empty seat is empty.

Its own module because it needs both the scores and the explanations, and explanations need scores.
"""

import numpy as np

from schemas.plan import Assignment, Plan, SolveStatus
from solver.explain import unfilled_reasons
from solver.score import breakdown, objectives, slots_of
from solver.structure import Structure


def assemble(st: Structure, chosen, status: SolveStatus, **extra) -> Plan:
    """A plan from chosen pair indices: assignments with slots and scores, then explanations."""
    chosen = np.asarray(sorted(int(k) for k in chosen), dtype=np.int64)
    slots = slots_of(st, chosen)
    pinned = set(st.pinned_pairs)
    assignments = [
        Assignment(
            position_id=st.inst.positions[st.pair_pos[k]].id,
            supplier_id=st.sup.ids[st.pair_sup[k]],
            slot=slots.get(int(k), 1),
            pinned=int(k) in pinned,
            score=breakdown(st, int(k)),
        )
        for k in chosen
    ]
    plan = Plan(status=status, assignments=assignments, objectives=objectives(st, chosen), **extra)
    plan.unfilled = unfilled_reasons(st, chosen)
    return plan
