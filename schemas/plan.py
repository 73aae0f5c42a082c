"""The solver's output: a proposed plan with its scores and explanations."""

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SolveStatus(StrEnum):
    optimal = "optimal"
    feasible = "feasible"
    infeasible = "infeasible"
    time_limit = "time_limit"


class Assignment(Strict):
    """One proposal: a supplier (and for an offer, its slot number from 1) in one position."""

    position_id: str
    supplier_id: str
    slot: int = Field(default=1, ge=1)
    pinned: bool = False
    score: dict[str, int] = Field(
        default_factory=dict, description="objective term -> contribution (priority, fit, spc, stability, ...)"
    )


class BrokenRule(Strict):
    """An eligibility rule that keeps one supplier from one seat, in the words the candidate filter uses."""

    rule: str = Field(examples=["screening"])
    detail: str = Field("", examples=["are not screened through 2027-06-30"])


class Elimination(Strict):
    """One step of the candidate filter: how many suppliers a rule removed from the pool."""

    rule: str = Field(examples=["skill:DDR-PLAN>=3"])
    eliminated: int
    remaining: int
    detail: str = ""


class Competitor(Strict):
    """An eligible supplier that was used by another position, and why that one won."""

    supplier_id: str
    taken_by: str
    why: str


class Unfilled(Strict):
    position_id: str
    pool: int = Field(description="suppliers considered before any rule")
    eliminations: list[Elimination] = Field(default_factory=list)
    eligible: int = 0
    competitors: list[Competitor] = Field(default_factory=list)
    reason: str = Field(description="the whole explanation as one sentence")


class Alternative(Strict):
    supplier_id: str
    score: dict[str, int]
    total: int
    displaces: list[str] = Field(default_factory=list, description="positions that would lose this supplier")


class ModelSize(Strict):
    candidates: int = 0
    variables: int = 0
    constraints: int = 0
    build_seconds: float = 0.0
    parts: int = Field(default=0, description="independent components the plan was solved in")
    parts_kept: int = Field(default=0, description="components taken over unchanged from the plan re-solved")


class Objectives(Strict):
    """Each objective level's value, in strict order."""

    priority: int = 0
    fit: int = 0
    fairness: int = Field(default=0, description="penalty: state over-share plus gender shortfall (lower is better)")
    spc: int = 0
    stability: int = Field(default=0, description="previous assignments changed (lower is better)")


class Plan(Strict):
    status: SolveStatus
    assignments: list[Assignment] = Field(default_factory=list)
    unfilled: list[Unfilled] = Field(default_factory=list)
    objectives: Objectives = Field(default_factory=Objectives)
    best_bound: int = Field(default=0, description="upper bound on the priority level")
    gap: float = Field(default=0.0, description="relative gap of the priority level to its bound")
    wall_time: float = 0.0
    model: ModelSize = Field(default_factory=ModelSize)
    messages: list[str] = Field(default_factory=list)
