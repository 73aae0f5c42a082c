"""Erasure requests as the API takes and answers them."""

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

ErasureStatus = Literal["pending", "declined", "done"]


class ErasureCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    expert_id: int = Field(ge=1, le=2_147_483_647)
    reason: str = Field(min_length=1, max_length=1000, description="why (the person's request, a retention rule)")


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
