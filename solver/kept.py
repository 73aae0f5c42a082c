"""What a solve keeps for the next request about the same plan: the structure, the chosen pairs and each
independent part's solution with the digest of what it depended on.

A planner's next question about a plan (alternatives for a seat, a re-solve after one decision) then starts
from here instead of rebuilding the candidate structure from the instance, and a re-solve takes over every part
that the decisions since did not touch (docs/solver.md, "Incremental re-solve").
"""

from dataclasses import dataclass, field

from schemas.instance import Instance
from schemas.plan import Plan
from solver.structure import Structure
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
