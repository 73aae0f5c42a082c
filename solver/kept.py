"""What a solve keeps for the next request about the same plan: the structure and the chosen pairs.

A planner's next question about a plan (alternatives for a seat, a re-solve after one decision) then starts
from here instead of rebuilding the candidate structure from the instance.
"""

from dataclasses import dataclass

from schemas.instance import Instance
from schemas.plan import Plan
from solver.structure import Structure
from solver.suppliers import Ints


@dataclass
class Kept:
    """A solved plan's instance, structure and chosen pair indices."""

    instance: Instance
    structure: Structure
    plan: Plan
    chosen: Ints
