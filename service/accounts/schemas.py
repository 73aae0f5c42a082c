"""API tokens as the administration routes take and answer them."""

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import JsonDict

from schemas.enums import Role
from schemas.roster import ISO3

# A Member State's token names its state; no other role's does (as the schema can say it to clients).
STATE_WITH_ITS_ROLE: JsonDict = {
    "if": {"properties": {"role": {"const": "member_state"}}, "required": ["role"]},
    "then": {"required": ["state"], "properties": {"state": {"type": "string"}}},
    "else": {"properties": {"state": {"type": "null"}}},
}


class TokenCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra=STATE_WITH_ITS_ROLE)
    role: Role
    name: str = Field(min_length=1, max_length=120)
    state: str | None = Field(default=None, pattern=ISO3)


class TokenPublic(BaseModel):
    id: int
    name: str
    role: Role
    state: str | None
    prefix: str
    created_at: datetime
    revoked_at: datetime | None


class TokenCreated(TokenPublic):
    token: str = Field(description="shown once; store it now")


class TokensPublic(BaseModel):
    data: list[TokenPublic]
    count: int
