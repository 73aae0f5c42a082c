"""Erasure requests as the API takes and answers them, and the subject access export."""

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from schemas.enums import (
    AssessmentResult,
    AssessmentStage,
    DeploymentStatus,
    NominationStatus,
    PlanStatus,
    ReviewStatus,
)
from schemas.roster import ExpertPublic

ErasureStatus = Literal["pending", "declined", "done"]
SubjectFormat = Literal["json", "xlsx"]


class ErasureCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    expert_id: int = Field(ge=1, le=2_147_483_647)
    reason: str = Field(min_length=1, max_length=1000, description="why (the person's request, a retention rule)")

    @field_validator("expert_id", mode="before")
    @classmethod
    def _whole_number(cls, value: object) -> object:
        """JSON has one kind of number: 17.0 is the integer 17, as the schema reads it ("17" and true are not)."""
        if isinstance(value, float) and value.is_integer():
            return int(value)
        return value


class ErasureDecision(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    note: str = Field(default="", max_length=1000)


class ErasurePublic(BaseModel):
    """An erasure; no personal data (once done, the expert is known by the pseudonym only)."""

    id: int
    expert_id: int
    state: str | None = Field(description="the Member State owning the expert; None: UN staff")
    reason: str
    status: ErasureStatus
    requested_by: str
    requested_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    decision_note: str
    pseudonym: str | None = Field(description="the expert's name after the erasure")


class ErasuresPublic(BaseModel):
    data: list[ErasurePublic]
    count: int


# --- Subject access: everything held about one person ---------------------------------------------------------------
# Each section is a list of flat rows (no nested lists but the audit's field names), so that a JSON section and an
# XLSX sheet hold the same rows; the record alone nests (it is ``GET /experts/{id}``'s answer, as admin sees it).


class SubjectDeployment(BaseModel):
    id: int
    request_id: int
    position_id: int
    seat: int
    mission: str | None = Field(description="null: a deployment outside a mission")
    contributing_state: str | None
    start_date: date
    end_date: date
    status: DeploymentStatus
    note: str
    consent_due_on: date | None
    consent_note: str | None
    approved_by: str
    created_at: datetime
    updated_at: datetime


class SubjectNomination(BaseModel):
    id: int
    call_id: int
    position_id: int
    state: str
    status: NominationStatus
    note: str
    created_by: str
    created_at: datetime
    withdrawn_at: datetime | None
    decided_by: str | None
    decided_at: datetime | None
    decision_note: str


class SubjectStageResult(BaseModel):
    id: int
    nomination_id: int
    stage: AssessmentStage
    result: AssessmentResult
    assessed_on: date
    assessor: str
    note: str
    recorded_by: str
    recorded_at: datetime


class SubjectAssignment(BaseModel):
    """A plan's proposal that named the person: whether or not it was approved."""

    plan_id: int
    plan_status: PlanStatus
    position_id: int
    seat: int
    start_date: date
    end_date: date
    review: ReviewStatus = Field(description="proposed, approved or rejected by a planner")
    total: int = Field(description="the proposal's score")
    deployment_id: int | None
    reviewed_by: str | None
    reviewed_at: datetime | None


class SubjectAuditEntry(BaseModel):
    """Who changed (or was shown, or exported) the person's record: the names of the fields, never their values."""

    id: int
    at: datetime
    actor_name: str
    actor_role: str
    actor_state: str | None
    action: str
    fields: list[str] = Field(description="the fields it changed (or, for a view or an export, showed)")


class SubjectAccess(BaseModel):
    """Everything the roster holds about one person, for a subject access request."""

    expert_id: int
    exported_at: datetime
    record: ExpertPublic = Field(description="every field, national id included: the person's own data")
    deployments: list[SubjectDeployment]
    nominations: list[SubjectNomination]
    stage_results: list[SubjectStageResult]
    assignments: list[SubjectAssignment]
    erasures: list[ErasurePublic]
    audit: list[SubjectAuditEntry]
