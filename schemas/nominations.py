"""Calls for nominations, nominations and their assessment stages: what clients send and get back."""

from collections.abc import Sequence
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, Field, model_validator

from schemas.dates import Day
from schemas.enums import AssessmentResult, AssessmentStage, CallStatus, DeploymentStatus, NominationStatus
from schemas.ids import RowId
from schemas.roster import ISO3, Page, Strict

MAX_CALL_POSITIONS = 500
MAX_CALL_STATES = 200  # more than the Member States there are


def _once(values: Sequence[object], field: str) -> None:
    repeated = sorted({str(v) for v in values if values.count(v) > 1})
    if repeated:
        raise ValueError(f"{field} lists {', '.join(repeated)} more than once: list each once")


class CallCreate(Strict):
    """HQ or a planner asks Member States to nominate candidates for some positions of one request."""

    request_id: RowId
    position_ids: list[RowId] = Field(
        min_length=1,
        max_length=MAX_CALL_POSITIONS,
        json_schema_extra={"uniqueItems": True},
        description="positions of that request the call is for (at least one)",
    )
    deadline: Day = Field(description="the last day Member States may nominate or withdraw (not before today)")
    states: list[Annotated[str, Field(pattern=ISO3, max_length=3)]] | None = Field(
        default=None,
        min_length=1,
        max_length=MAX_CALL_STATES,
        json_schema_extra={"uniqueItems": True},
        description="the Member States invited (ISO3); null invites every Member State",
    )
    note: str = Field(default="", max_length=2000)

    @model_validator(mode="after")
    def _each_once(self) -> "CallCreate":
        _once(self.position_ids, "position_ids")
        _once(self.states or [], "states")
        return self


class CallCancel(Strict):
    """HQ cancels an open call (e.g. the request was stood down): the reason goes to the invited states."""

    reason: str = Field(min_length=3, max_length=1000, description="why: sent with the event and kept in the audit")


class CallPublic(BaseModel):
    id: int
    request_id: int
    request_title: str
    mission: str
    position_ids: list[int]
    deadline: date
    all_states: bool = Field(description="every Member State is invited; else those listed")
    states: list[str] | None = Field(
        description="the invited states (null: all); a Member State sees only itself among them"
    )
    status: CallStatus
    note: str
    opened_by: str
    opened_at: datetime
    closed_by: str | None
    closed_at: datetime | None
    version: int


class CallsPublic(Page):
    data: list[CallPublic]


class _Nominating(Strict):
    position_id: RowId = Field(description="a position of the call")
    note: str = Field(default="", max_length=1000)


class ExpertNomination(_Nominating):
    """The state puts one of its experts forward."""

    expert_id: RowId


class OfferNomination(_Nominating):
    """The state puts one of its offers (all its slots) forward."""

    offer_id: RowId


NominationCreate = ExpertNomination | OfferNomination


class StageSummary(BaseModel):
    """A required stage and the latest result on it (null: not yet sat)."""

    stage: AssessmentStage
    result: AssessmentResult | None
    assessed_on: date | None


class NominationPublic(BaseModel):
    id: int
    call_id: int
    position_id: int
    state: str
    expert_id: int | None
    offer_id: int | None
    supplier_key: str
    supplier_name: str = Field(description="the expert's name or the offer's title")
    note: str
    status: NominationStatus
    created_by: str
    created_at: datetime
    withdrawn_at: datetime | None
    decided_by: str | None
    decided_at: datetime | None
    decision_note: str
    version: int
    stages: list[StageSummary] = Field(description="each stage the position requires, with the latest result")
    deployment_id: int | None = Field(default=None, description="once selected: the deployment the approval made")
    deployment_status: DeploymentStatus | None = Field(
        default=None, description="once selected: awaiting_consent until the state answers, then planned or declined…"
    )


class NominationsPublic(Page):
    data: list[NominationPublic]


class Decision(StrEnum):
    not_selected = "not_selected"


class NominationDecision(Strict):
    """HQ or a planner turns a nomination down (selection comes from a planner's approval)."""

    decision: Decision
    note: str = Field(default="", max_length=1000)


class StageResultCreate(Strict):
    """HQ records how a nominee did at one assessment stage; the latest result per stage counts."""

    stage: AssessmentStage
    result: AssessmentResult
    assessed_on: Day = Field(description="the day of the assessment (not after today)")
    assessor: str = Field(min_length=1, max_length=200, description="who assessed: a name or a panel's reference")
    note: str = Field(default="", max_length=2000)


class StageResultPublic(StageResultCreate):
    id: int
    nomination_id: int
    recorded_by: str
    recorded_at: datetime


class StageResultsPublic(Page):
    data: list[StageResultPublic]
