"""A proposal's score as the plan shows it: one definition for the plan's rows and for the alternatives."""

from collections.abc import Mapping


def total(score: Mapping[str, int]) -> int:
    """The plan's score for one supplier in one seat: the sum of its terms (priority, fit, right source, kept)."""
    return sum(score.values())
