"""The gap report's data model: demand against supply per skill × level × quarter."""

from datetime import date, datetime

from pydantic import BaseModel, Field

from schemas.enums import Level


class GapCell(BaseModel):
    skill: str
    skill_name: str
    area: str
    level: Level
    quarter: str = Field(examples=["2027-Q1"])
    demand: int = Field(description="open seats requiring the skill at this level in the quarter")
    supply: int = Field(description="available experts plus free offer slots")
    supply_proficient: int = Field(description="the part of supply at proficiency 3 or more")
    gap: int
    ratio: float | None = Field(description="supply / demand; null without demand")
    unfilled: int = Field(default=0, description="seats of this cell the latest plan left empty")
    blocked_by_credentials: int = Field(
        default=0, description="of the unfilled seats, those that would have had a candidate but for a credential"
    )
    positions: list[int] = Field(description="ids of the positions behind the demand")


class Totals(BaseModel):
    demand: int
    supply: int
    gap: int


class LatestPlan(BaseModel):
    id: int
    finished_at: datetime | None


class CredentialGap(BaseModel):
    code: str = Field(examples=["MEDICAL"])
    name: str = Field(examples=["medical clearance"])
    candidates: int = Field(description="suppliers that pass every other rule of the seat but lack this credential")


class UnfilledSeat(BaseModel):
    position_id: int
    request_id: int
    title: str
    mission: str | None = Field(description="none outside a mission (a Member State's own government)")
    seat: int
    reason: str
    blocked_by_credentials: list[CredentialGap] = Field(
        default_factory=list,
        description="when only credentials kept the seat empty: the types its would-be candidates lack, with how "
        "many lack each (training or a renewal can be scheduled); empty otherwise",
    )


class ReasonCount(BaseModel):
    rule: str = Field(examples=["skill", "language", "availability"])
    count: int = Field(description="unfilled seats this rule was the biggest eliminator of")


class GapReport(BaseModel):
    from_: date = Field(alias="from", serialization_alias="from")
    to: date
    quarters: list[str]
    cells: list[GapCell]
    totals: Totals
    latest_plan: LatestPlan | None
    unfilled: list[UnfilledSeat]
    blocked_by_credentials: int = Field(default=0, description="unfilled seats kept empty only by credentials")
    top_reasons: list[ReasonCount]
