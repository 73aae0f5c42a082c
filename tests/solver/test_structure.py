"""Building blocks: maximal cliques of windows, slot colouring, level merging."""

import numpy as np

from solver.objectives import merge_levels
from solver.score import colour_slots
from solver.structure import maximal_cliques


def test_maximal_cliques_of_intervals():
    starts = np.array([0, 2, 5, 9, 9])
    ends = np.array([4, 6, 7, 12, 10])
    cliques = [sorted(c) for c in maximal_cliques(starts, ends)]
    assert cliques == [[0, 1], [1, 2], [3, 4]]


def test_touching_intervals_overlap_and_nested_ones_share_a_clique():
    assert [sorted(c) for c in maximal_cliques(np.array([0, 4]), np.array([4, 8]))] == [[0, 1]]
    assert [sorted(c) for c in maximal_cliques(np.array([0, 1, 2]), np.array([10, 3, 9]))] == [[0, 1, 2]]


def test_slot_colouring_reuses_freed_slots_and_skips_fixed_ones():
    slots = colour_slots([(0, 5, "a"), (3, 8, "b"), (6, 9, "c")], fixed=[(0, 20)])
    assert slots == {"a": 2, "b": 3, "c": 2}


def test_merged_levels_weigh_each_level_above_the_range_below():
    levels = [("fit", ["f"], [1], 1, 10), ("fairness", ["g"], [1], -1, 4), ("spc", ["s"], [1], 1, 2)]
    (group,) = merge_levels(levels)
    weights = {name: w[0] for name, _, w in group}
    assert weights == {"spc": 1, "fairness": -3, "fit": 15}
    assert weights["fit"] > 2 * weights["spc"] + 4 * -weights["fairness"]
