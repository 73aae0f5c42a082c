"""The gap report's data model: demand against supply per skill × level × quarter."""

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from schemas.enums import Level

# shortage (red): fewer can take the seats than there are open seats; unfilled (amber): enough could, but the
# latest plan left seats of the cell empty; covered (green): neither.
CellStatus = Literal["shortage", "unfilled", "covered"]


class SeatRef(BaseModel):
    position_id: int
    seat: int


class GapCell(BaseModel):
    skill: str
    skill_name: str
    area: str
    level: Level
    quarter: str = Field(examples=["2027-Q1"])
    demand: int = Field(description="open seats requiring the skill at this level in the quarter")
    supply: int = Field(
        description="suppliers who pass the solver's eligibility rules for at least one position behind the demand, "
        "each once (an expert 1, an offer its slots)"
    )
    supply_proficient: int = Field(description="the part of supply at proficiency 3 or more in the skill")
    gap: int
    ratio: float | None = Field(description="supply / demand; null without demand")
    unfilled: int = Field(default=0, description="seats of this cell the latest plan left empty")
    blocked_by_credentials: int = Field(
        default=0, description="of the unfilled seats, those that would have had a candidate but for a credential"
    )
    positions: list[int] = Field(description="ids of the positions behind the demand")
    status: CellStatus = Field(
        default="covered",
        description="shortage: demand above supply; unfilled: enough supply, but the latest plan left seats of "
        "the cell empty; covered: neither",
    )
    unfilled_seats: list[SeatRef] = Field(
        default_factory=list, description="the seats of this cell the latest plan left empty (see `unfilled`)"
    )


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
    request: str = Field(default="", description="the request's title")
    mission: str | None = Field(description="none outside a mission (a Member State's own government)")
    seat: int
    reason: str
    blocked_by_credentials: list[CredentialGap] = Field(
        default_factory=list,
        description="when only credentials kept the seat empty: the types its would-be candidates lack, with how "
        "many lack each (training or a renewal can be scheduled); empty otherwise",
    )
    detail: dict[str, Any] = Field(
        default_factory=dict,
        description="the solver's explanation: the elimination funnel (`eliminations`: rule, eliminated, "
        "remaining, detail) and the eligible suppliers that went elsewhere (`competitors`)",
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
