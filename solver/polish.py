"""A better starting point for the lower objective levels: each filled seat moved to its best free candidate.

The priority stage decides which seats are filled; which of their candidates fill them is left to the next stage.
Moving each seat, in Python, to the best candidate free at its dates (by fit, then SPC, then the previous plan)
gives that stage a complete hint close to its optimum, so CP-SAT spends its time proving rather than searching.
It changes no filled seat into an empty one, so the priority level of the hint stays optimal.
"""

import numpy as np

from solver.greedy import Occupancy
from solver.structure import Structure
from solver.suppliers import Ints


def polish(st: Structure, chosen: Ints, rounds: int = 2) -> Ints:
    """The chosen pairs with every seat outside groups and pins moved to its best candidate that is free."""
    occ = Occupancy(st)
    holder = {int(st.pair_pos[k]): int(k) for k in chosen}
    for k in chosen:
        occ.take(int(st.pair_sup[k]), int(st.pair_pos[k]))
    fixed = {int(st.pair_pos[k]) for k in st.pinned_pairs}
    for members in (*st.all_or_nothing.values(), *st.same_offer.values()):
        fixed.update(members)
    key = st.fit * 1_000_000 + st.spc * 1000 + st.previous
    for _ in range(rounds):
        moved = False
        for i, k in list(holder.items()):
            if i in fixed:
                continue
            pairs = st.pos_pairs[i]
            for better in pairs[np.argsort(-key[pairs], kind="stable")]:
                if key[better] <= key[k]:
                    break
                s = int(st.pair_sup[better])
                occ.release(int(st.pair_sup[k]), i)
                if occ.fits(s, i):
                    occ.take(s, i)
                    holder[i], moved = int(better), True
                    break
                occ.take(int(st.pair_sup[k]), i)
        if not moved:
            break
    return np.array(sorted(holder.values()), dtype=np.int64)
