"""Data models of the planning API: plans, review decisions, deployments."""

from datetime import date, datetime
from typing import Annotated, Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from schemas.dates import Day
from schemas.enums import AssessmentStage, CandidatePool, DeploymentStatus, PlanStatus, Readiness, ReviewStatus
from schemas.ids import RowId
from schemas.instance import Weights
from schemas.numbers import ExactTypes


class Strict(ExactTypes):
    model_config = ConfigDict(extra="forbid")


class SeatPin(Strict):
    """A planner's choice: this supplier in this seat, kept by the plan whatever else moves."""

    position_id: int = Field(ge=1, le=2_147_483_647)
    seat: int = Field(default=1, ge=1, le=500)
    supplier: str = Field(pattern=r"^[EO][1-9][0-9]{0,9}$", description="E17 for an expert, O5 for an offer")


class PlanCreate(Strict):
    request_ids: list[RowId] | None = Field(default=None, max_length=1000, description="None: every open request")
    horizon_start: Day | None = Field(default=None, description="only positions ending on or after this day")
    horizon_end: Day | None = Field(default=None, description="only positions starting on or before this day")
    time_limit: float = Field(default=10.0, gt=0, le=600, description="seconds the solver may take")
    workers: int = Field(default=2, ge=1, le=8, description="solver threads")
    seed: int = Field(default=0, ge=0, le=2**31 - 1)
    weights: Weights | None = None
    rest_days: int | None = Field(default=None, ge=0, le=365)
    max_state_share: float | None = Field(default=None, gt=0, le=1)
    min_readiness: Readiness = Field(
        default=Readiness.assessed,
        description="the lowest readiness of an offer the plan accepts (experts are not concerned): by default "
        "offers an assessment visit passed (HQ records them); `pledged` takes every offer",
    )
    candidates: CandidatePool = Field(
        default=CandidatePool.both,
        description="where the plan takes candidates from: `roster` (every supplier, calls ignored), `nominations` "
        "(each position only its nominees) or `both` (positions under a call for nominations only their nominees, "
        "the others the roster)",
    )
    provisional: bool = Field(
        default=False,
        description="propose a nominee who has not yet sat a position's required assessment stage (marked "
        "provisional; approving it is allowed on this plan only); a failed stage always excludes",
    )
    gender_targets: dict[int, float] = Field(
        default_factory=dict,
        description="request id -> share of women, from 0 to 1",
        json_schema_extra={
            "propertyNames": {"pattern": "^[1-9][0-9]{0,8}$"},
            "additionalProperties": {"type": "number", "minimum": 0, "maximum": 1},
        },
    )
    today: Day | None = Field(default=None, description="the planning date; default: today")
    pins: list[SeatPin] = Field(
        default_factory=list, max_length=500, description="suppliers the planner puts in given seats (e.g. a swap)"
    )
    replace_deployments: list[RowId] = Field(
        default_factory=list,
        max_length=100,
        description="deployments at risk whose seats this plan fills again (every other deployment stays); "
        "approving a replacement cancels the deployment it replaces, in the same transaction",
    )

    @model_validator(mode="after")
    def _checks(self) -> Self:
        if self.horizon_start and self.horizon_end and self.horizon_end < self.horizon_start:
            raise ValueError("horizon_end is before horizon_start: swap them")
        seats = [(p.position_id, p.seat) for p in self.pins]
        if len(set(seats)) != len(seats):
            raise ValueError("a seat is pinned twice: pin each seat once")
        for request_id, share in self.gender_targets.items():
            if not 0 <= share <= 1:
                raise ValueError(f"gender target {share} for request {request_id} must lie between 0 and 1")
        return self


class PlanPublic(BaseModel):
    id: int
    status: PlanStatus
    parent_id: int | None
    request_ids: list[int] | None
    horizon_start: date | None
    horizon_end: date | None
    parameters: dict[str, Any]
    created_by: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    progress: dict[str, Any] | None
    summary: dict[str, Any] | None
    error: str | None
    attempts: int
    superseded_by: int | None = Field(
        default=None,
        description="the newest plan over the same requests, if a newer plan replaced this one: this one is then "
        "read-only (decisions and re-solves answer 409; undo stays possible)",
    )


class PlansPublic(BaseModel):
    data: list[PlanPublic]
    count: int


class Supplier(BaseModel):
    id: str = Field(description="E17 (an expert) or O5 (an offer)")
    kind: str
    name: str
    state: str | None = Field(description="the contributing Member State; None for UN staff")


class AssignmentPublic(BaseModel):
    id: int
    plan_id: int
    position_id: int
    position_title: str
    request_id: int
    mission: str | None = Field(description="none outside a mission (a Member State's own government)")
    seat: int
    supplier: Supplier
    slot: int
    start_date: date
    end_date: date
    score: dict[str, int]
    total: int
    review: ReviewStatus
    reviewed_by: str | None
    reviewed_at: datetime | None
    deployment_id: int | None
    provisional: list[AssessmentStage] = Field(
        default_factory=list,
        description="the seat's assessment stages the supplier has not yet passed: proposed provisionally (a plan "
        "made with provisional=true); empty otherwise",
    )


class AssignmentsPublic(BaseModel):
    data: list[AssignmentPublic]
    count: int


class UnfilledPublic(BaseModel):
    position_id: int
    position_title: str
    request_id: int
    mission: str | None = Field(description="none outside a mission (a Member State's own government)")
    seat: int
    reason: str
    detail: dict[str, Any]


class UnfilledList(BaseModel):
    data: list[UnfilledPublic]
    count: int


class AlternativePublic(BaseModel):
    supplier: Supplier
    score: dict[str, int]
    total: int
    displaces: list[str] = Field(description="seats (P<position>-<seat>) that would lose this supplier")


class AlternativesPublic(BaseModel):
    position_id: int
    seat: int
    current: Supplier | None
    data: list[AlternativePublic]
    count: int


OverrideReason = Annotated[
    str | None,
    StringConstraints(strip_whitespace=True, min_length=10, max_length=1000),
    Field(
        description="why the approvals may break the rules they break: accepts breakable rules only (not a "
        "deployment elsewhere at the same time, a team seat, a closed request, a supplier no longer there, a "
        "supplier not nominated for a seat that takes nominees only, or an assessment stage failed or, on a plan "
        "that is not provisional, not yet passed), "
        "and is recorded on the deployment and in the audit trail"
    ),
]


class Override(Strict):
    """The optional body of a single approval: a reason to approve against breakable rules."""

    override_reason: OverrideReason = None


class Review(Strict):
    approve: list[RowId] = Field(default_factory=list, max_length=1000, description="assignment ids")
    reject: list[RowId] = Field(default_factory=list, max_length=1000)
    pin: list[RowId] = Field(default_factory=list, max_length=1000)
    undo: list[RowId] = Field(
        default_factory=list,
        max_length=1000,
        description="assignment ids whose approval (deployment still planned: it is cancelled), rejection "
        "(the pair may be proposed again) or pin is reverted; undone before the other decisions apply",
    )
    override_reason: OverrideReason = None

    @model_validator(mode="after")
    def _disjoint(self) -> Self:
        ids = self.approve + self.reject + self.pin + self.undo
        twice = sorted({i for i in ids if ids.count(i) > 1})
        if twice:
            raise ValueError(f"assignment(s) {twice} appear more than once: decide each once")
        if not ids:
            raise ValueError("nothing to review: list assignment ids under approve, reject, pin or undo")
        return self


class ReviewResult(BaseModel):
    approved: list[int]
    rejected: list[int]
    pinned: list[int]
    deployments: list[int]
    undone: list[int] = Field(default_factory=list, description="assignments back to proposed")
    cancelled: list[int] = Field(default_factory=list, description="deployments cancelled by undoing their approval")


class DeploymentPublic(BaseModel):
    id: int
    position_id: int
    request_id: int
    seat: int
    supplier: Supplier
    slot: int
    contributing_state: str | None
    mission: str | None = Field(description="none outside a mission (a Member State's own government)")
    start_date: date
    end_date: date
    status: DeploymentStatus
    plan_id: int | None
    approved_by: str
    note: str
    override_reason: str | None = Field(default=None, description="why it was approved against the rules below")
    overridden_rules: list[dict[str, str]] | None = Field(
        default=None, description="the rules it broke when approved, [{rule, detail}]"
    )
    at_risk: list[dict[str, Any]] | None = Field(
        default=None,
        description="the rules this live deployment breaks since a later change of its supplier, request or "
        "position: [{rule, detail}] in plain words; null when it breaks none",
    )
    at_risk_since: datetime | None = Field(default=None, description="when it was first found at risk")
    consent_due_on: date | None = Field(
        default=None, description="awaiting_consent: the contributing state answers by this day, or it is declined"
    )
    consent_decided_at: datetime | None = None
    consent_decided_by: str | None = Field(default=None, description="who recorded the state's answer (or system)")
    consent_note: str | None = Field(default=None, description="the state's reason")
    version: int
    created_at: datetime
    updated_at: datetime


class DeploymentsPublic(BaseModel):
    data: list[DeploymentPublic]
    count: int


class ConsentConfirm(Strict):
    """The contributing state agrees to send its expert or offer: the deployment becomes planned."""

    decision: Literal["confirm"]
    note: str = Field(default="", max_length=1000, description="optional")


class ConsentDecline(Strict):
    """The contributing state will not send them: the seat opens again and the pair is never proposed again."""

    decision: Literal["decline"]
    note: str = Field(min_length=3, max_length=1000, description="the state's reason (required)")


ConsentDecision = Annotated[ConsentConfirm | ConsentDecline, Field(discriminator="decision")]


class ConsentAwaiting(BaseModel):
    """A selection awaiting its state's consent, as the consent pages list it."""

    deployment: DeploymentPublic
    position_title: str


class DeclinedSeat(BaseModel):
    """A seat of a plan that its state declined (or let lapse): a re-solve may fill it again."""

    deployment_id: int
    plan_id: int
    position_id: int
    position_title: str
    request_title: str = ""
    mission: str | None = None
    seat: int
    state: str | None
    state_name: str
    reason: str | None
    decided_by: str | None


class DeploymentUpdate(Strict):
    status: DeploymentStatus | None = None
    note: str | None = Field(default=None, max_length=1000)
