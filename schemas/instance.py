"""The solver's input: one planning problem, serialisable to JSON.

The service builds an ``Instance`` from its database; ``solver.solve`` turns it
into a ``schemas.plan.Plan``. Suppliers are experts (ids like ``"E17"``) and
offers (ids like ``"O5"``); an offer of N slots can hold up to N positions at once.
"""

from datetime import date
from typing import Any, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from schemas.enums import SCREENING, AssessmentStage, Benchmark, Category, Gender, Level, Readiness, Source
from schemas.numbers import ExactTypes


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Dated(Strict):
    """Something with an inclusive range of days."""

    start: date
    end: date

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.end < self.start:
            raise ValueError("end before start")
        return self


class DateRange(Dated):
    """An inclusive range of days."""


class Expert(Strict):
    """A roster expert, standing-capacity officer or secondee."""

    id: str = Field(examples=["E17"])
    nationality: str = Field(pattern=r"^[A-Z]{3}$")
    gender: Gender
    category: Category
    source: Source = Source.roster
    skills: dict[str, int] = Field(default_factory=dict, description="skill code -> proficiency 1-5")
    languages: dict[str, int] = Field(default_factory=dict, description="ISO 639-1 code -> level 1-5")
    levels: list[Level] = Field(default_factory=list)
    grade: int | None = Field(default=None, description="rank on schemas.enums.GRADE_RANK; None if unknown")
    notice_days: int = Field(default=30, ge=0)
    availability: list[DateRange] = Field(
        default_factory=list, description="windows when the expert can deploy; empty = always"
    )
    leave: list[DateRange] = Field(default_factory=list)
    credentials: dict[str, date] = Field(default_factory=dict, description="credential type -> valid through")
    member_state: str | None = Field(default=None, description="contributing Member State; None = UN staff")


class Offer(Strict):
    """A Member State offer of ``slots`` interchangeable people (a team or secondees)."""

    id: str = Field(examples=["O5"])
    state: str = Field(pattern=r"^[A-Z]{3}$", description="the offering Member State")
    kind: str = "individual"
    slots: int = Field(default=1, ge=1)
    category: Category
    skills: dict[str, int] = Field(default_factory=dict)
    languages: dict[str, int] = Field(default_factory=dict)
    levels: list[Level] = Field(default_factory=list)
    grade: int | None = None
    available_from: date
    available_to: date
    max_duration_days: int | None = Field(default=None, ge=1)
    notice_days: int = Field(default=60, ge=0)
    readiness: Readiness = Readiness.pledged
    excluded_missions: list[str] = Field(default_factory=list)
    excluded_states: list[str] = Field(default_factory=list)
    credentials: dict[str, date] = Field(
        default_factory=dict, description="credential type -> valid through, attested for the whole team"
    )


class Nominee(Strict):
    """A supplier nominated by its state for a position, with the assessment stages it sat (latest result each)."""

    supplier_id: str = Field(examples=["E17", "O5"])
    passed: list[AssessmentStage] = Field(default_factory=list)
    failed: list[AssessmentStage] = Field(default_factory=list)


class Position(Dated):
    """One seat to fill (the service expands a position of count n into n seats)."""

    id: str = Field(examples=["P12-1"])
    request_id: str
    mission: str | None = Field(default=None, description="none outside a mission")
    host_states: list[str] = Field(default_factory=list)
    priority: int = Field(default=3, ge=1, le=5, description="1 is the most important")
    deploy_by: date | None = None
    benchmark: Benchmark | None = None
    level: Level
    category: Category | None = Field(default=None, description="None accepts any category")
    grade_min: int | None = None
    grade_max: int | None = None
    required_skills: dict[str, int] = Field(default_factory=dict, description="skill code -> minimum")
    desired_skills: dict[str, int] = Field(default_factory=dict)
    languages: dict[str, int] = Field(default_factory=dict, description="ISO 639-1 code -> minimum level")
    group: str | None = None
    all_or_nothing: bool = False
    same_offer: bool = False
    stages: list[AssessmentStage] = Field(
        default_factory=list, description="assessment stages a candidate must have passed (only nominees sit them)"
    )
    nominated_only: bool = Field(default=False, description="only the nominees below may take the seat")
    nominees: list[Nominee] = Field(default_factory=list, description="who was nominated for this position")
    credentials: list[str] = Field(
        default_factory=list, description="credential types a supplier must hold, valid through the end"
    )


class Deployment(Dated):
    """An existing deployment that blocks a supplier (an offer: one of its slots) for a period."""

    supplier_id: str


class Pin(Strict):
    """An approved assignment that must stay in every plan."""

    position_id: str
    supplier_id: str


class ForbiddenPair(Strict):
    """A pair rejected by a planner or declined by its Member State: never proposed again."""

    position_id: str
    supplier_id: str


class PreviousAssignment(Strict):
    position_id: str
    supplier_id: str


class Weights(Strict, ExactTypes):
    """Per-unit scores inside the fit and SPC objective levels."""

    skill_above_min: int = Field(default=2, description="per proficiency point above the minimum (max 2 points)")
    desired_skill: int = Field(default=3, description="per desired skill held at its minimum")
    grade_centre: int = Field(default=2, description="grade at the centre of the position's range")
    language_above_min: int = Field(default=1, description="per language level above the minimum (max 2)")
    spc_urgent_standing: int = Field(default=2, description="standing capacity / rapid offer on an urgent position")
    spc_long_roster: int = Field(default=1, description="roster expert or secondee/offer on a long position")
    gender_shortfall: int = Field(default=1, description="per woman missing from a request's target")
    state_over_share: int = Field(default=1, description="per position above a Member State's fair share")


class Parameters(Strict):
    weights: Weights = Field(default_factory=Weights)
    rest_days: int = Field(default=14, ge=0, description="days free between two deployments of one person")
    max_state_share: float = Field(
        default=0.25, gt=0, le=1, description="a Member State above this share of filled positions is penalised"
    )
    gender_targets: dict[str, float] = Field(
        default_factory=dict, description="request_id -> target share of women among its filled positions"
    )
    urgent_days: int = Field(default=60, description="a position is urgent if deploy_by (or start) is within this")
    long_days: int = Field(default=180, description="a position is long if it lasts at least this many days")
    time_limit: float = Field(default=30.0, gt=0, description="seconds for the whole solve")
    min_readiness: Readiness = Field(
        default=Readiness.pledged,
        description="the lowest readiness of an offer the matching accepts (experts are not concerned)",
    )
    provisional: bool = Field(
        default=False,
        description="a nominee who has not yet sat a required stage may be proposed (a failed stage still excludes)",
    )


class Instance(Strict):
    """Everything the solver needs to propose a plan."""

    today: date
    experts: list[Expert] = Field(default_factory=list)
    offers: list[Offer] = Field(default_factory=list)
    positions: list[Position] = Field(default_factory=list)
    deployments: list[Deployment] = Field(default_factory=list)
    pins: list[Pin] = Field(default_factory=list)
    forbidden: list[ForbiddenPair] = Field(default_factory=list)
    previous: list[PreviousAssignment] = Field(default_factory=list, description="the last plan's assignments")
    parameters: Parameters = Field(default_factory=Parameters)
    credential_names: dict[str, str] = Field(
        default_factory=dict, description="credential type -> its name in words, for explanations"
    )

    @model_validator(mode="before")
    @classmethod
    def _screening_field(cls, data: Any) -> Any:
        """An instance written before credentials (plans stored by an earlier release) read as it was meant."""
        if isinstance(data, dict) and any("screening_valid_until" in e for e in data.get("experts", [])):
            return legacy_screening(data)
        return data

    @model_validator(mode="after")
    def _unique_ids(self) -> Self:
        ids = [e.id for e in self.experts] + [o.id for o in self.offers]
        if len(set(ids)) != len(ids):
            raise ValueError("supplier ids must be unique across experts and offers")
        pids = [p.id for p in self.positions]
        if len(set(pids)) != len(pids):
            raise ValueError("position ids must be unique")
        return self


def legacy_screening(data: dict[str, Any]) -> dict[str, Any]:
    """Before credentials, every expert needed a screening through a position's end and offers counted as
    screened: the same rule as the HR-SCREENING credential, required of every position, offers attesting it."""
    far = date.max.isoformat()
    experts = []
    for e in data.get("experts", []):
        e = dict(e)
        until = e.pop("screening_valid_until", None)
        e["credentials"] = {**e.get("credentials", {}), **({SCREENING: until} if until else {})}
        experts.append(e)
    offers = [dict(o) | {"credentials": {SCREENING: far, **o.get("credentials", {})}} for o in data.get("offers", [])]
    positions = [dict(p) | {"credentials": p.get("credentials", [SCREENING])} for p in data.get("positions", [])]
    return data | {"experts": experts, "offers": offers, "positions": positions}
