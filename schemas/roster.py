"""Data models of the roster API: what clients send and what they get back.

Table models live in ``service.platform.tables`` and inherit the ``*Base`` classes here;
nothing here inherits from a table model.
"""

import math
from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Annotated, Any, Protocol, Self

import pycountry
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, WithJsonSchema, model_validator
from sqlmodel import SQLModel
from sqlmodel._compat import SQLModelConfig  # the type SQLModel gives model_config; not re-exported

from schemas.dates import Day
from schemas.enums import (
    GRADE_RANK,
    SCREENING,
    AssessmentResult,
    AssessmentStage,
    Benchmark,
    Category,
    CostBearer,
    Gender,
    Level,
    OfferKind,
    OfferStatus,
    Readiness,
    RequestDecision,
    RequestStatus,
    Source,
)
from schemas.ids import RowId
from schemas.numbers import ExactTypes

SKILL_CODE = r"^[A-Z][A-Z0-9]*(-[A-Z0-9]+)*$"
# Blanks are not in an address. \s alone differs between regex engines (pydantic's counts U+0085 as a blank,
# JSON Schema's ECMA-262 counts U+FEFF instead): both named, every client's validator agrees with ours.
EMAIL = r"^[^@\s\u0085\ufeff]+@[^@\s\u0085\ufeff]+\.[^@\s\u0085\ufeff]+$"
ISO3 = r"^[A-Z]{3}$"
MISSION_CODE = r"^[A-Z][A-Z0-9-]{1,19}$"


def _language_code(code: str) -> str:
    if pycountry.languages.get(alpha_2=code) is None:
        raise ValueError(f"unknown language code {code!r}: use an ISO 639-1 code such as 'en', 'fr', 'ar'")
    return code


def _grade(grade: str) -> str:
    if grade not in GRADE_RANK:
        raise ValueError(f"unknown grade {grade!r}: use one of {', '.join(GRADE_RANK)}")
    return grade


LanguageCode = Annotated[str, Field(min_length=2, max_length=2, examples=["fr"]), AfterValidator(_language_code)]
Grade = Annotated[str, AfterValidator(_grade), WithJsonSchema({"type": "string", "enum": list(GRADE_RANK)})]
Proficiency = Annotated[int, Field(ge=1, le=5, description="1 (basic) to 5 (expert)")]


class Strict(ExactTypes):
    model_config = ConfigDict(extra="forbid")


# Partial updates: a field left out keeps its value; these may not be sent as null either (what is always set).
EXPERT_NOT_NULL = frozenset({"full_name", "category", "nationality", "gender", "source", "notice_days", "active"})
OFFER_NULLABLE = frozenset({"max_duration_days"})
REQUEST_NULLABLE = frozenset({"mission", "deploy_by", "benchmark"})
POSITION_NOT_NULL = frozenset(
    {
        "title",
        "start_date",
        "end_date",
        "count",
        "all_or_nothing",
        "same_offer",
        "required_skills",
        "desired_skills",
        "languages",
        "assessment_stages",
        "required_credentials",
    }
)


def _null_refused(refused: Callable[[set[str]], set[str]]) -> Callable[[dict[str, Any]], None]:
    """The JSON schema of a partial update says which fields refuse null, as the service does."""

    def edit(schema: dict[str, Any]) -> None:
        properties = schema["properties"]
        for name in refused(set(properties)):
            properties[name].pop("default", None)
            kinds = [k for k in properties[name].pop("anyOf", []) if k.get("type") != "null"]
            properties[name] |= kinds[0] if len(kinds) == 1 else {"anyOf": kinds} if kinds else {}

    return edit


class SkillLevel(Strict):
    code: str = Field(pattern=SKILL_CODE, max_length=24, examples=["SSR-POLICY"])
    proficiency: Proficiency


class SkillRequirement(Strict):
    code: str = Field(pattern=SKILL_CODE, max_length=24, examples=["SSR-POLICY"])
    min_proficiency: Proficiency = 1


class LanguageLevel(Strict):
    code: LanguageCode
    level: Proficiency


class LanguageRequirement(Strict):
    code: LanguageCode
    min_level: Proficiency = 3


class Window(Strict):
    start: date
    end: date

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.end < self.start:
            raise ValueError(f"end {self.end} is before start {self.start}: swap them or fix the dates")
        return self


class WindowIn(Window):
    """A window as it comes in: within the dates the service takes (stored ones are shown as they are)."""

    start: Day
    end: Day


class _Coded(Protocol):
    code: str


def _unique_codes(items: Sequence[_Coded], what: str) -> None:
    codes = [item.code for item in items]
    duplicates = sorted({c for c in codes if codes.count(c) > 1})
    if duplicates:
        raise ValueError(f"{what} listed more than once: {', '.join(duplicates)}; list each once")


class Page(BaseModel):
    count: int = Field(description="number of rows matching the filters, before limit/offset")


# --- Credentials -------------------------------------------------------------

# The human-rights screening, once a field of its own (``screening_valid_until``), is one credential type among
# the others (SCREENING); the field stays in the expert API as a view of this credential (docs/credentials.md).
CredentialCode = Annotated[str, Field(pattern=SKILL_CODE, max_length=24, examples=["MEDICAL"])]


class CredentialIn(Strict):
    """A credential as a Member State or HQ records it: an expert's own, or an offer's attestation for its team."""

    code: CredentialCode = Field(description="the credential type: see GET /reference/credential-types")
    issued_on: Day | None = Field(default=None, description="the day the document was issued")
    expires_on: Day = Field(description="valid through this day")
    verified_by: str | None = Field(
        default=None, min_length=1, max_length=200, description="who checked the document; by default the caller"
    )
    verified_on: Day | None = Field(default=None, description="the day it was checked; by default today")

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.issued_on and self.expires_on < self.issued_on:
            raise ValueError(
                f"{self.code}: expires_on {self.expires_on} is before issued_on {self.issued_on}: "
                "swap them or fix the dates"
            )
        return self


class CredentialPublic(BaseModel):
    code: str
    issued_on: date | None
    expires_on: date = Field(description="valid through this day")
    verified_by: str | None = Field(description="who checked it; null where the reader may not see it")
    verified_on: date


def _screening_once(screening: date | None, credentials: Sequence[CredentialIn] | None) -> None:
    """The screening given twice (the old field and a credential) must say the same."""
    listed = next((c for c in credentials or [] if c.code == SCREENING), None)
    if screening is not None and listed is not None and listed.expires_on != screening:
        raise ValueError(
            f"screening_valid_until {screening} and the {SCREENING} credential (expires {listed.expires_on}) "
            "disagree: give the screening once, as a credential"
        )


class CredentialTypeBase(SQLModel):
    code: str = Field(pattern=SKILL_CODE, max_length=24)
    name: str = Field(min_length=1, max_length=200, description="in words, e.g. 'medical clearance'")
    description: str = Field(default="", max_length=1000)
    validity_months: int | None = Field(
        default=None, ge=1, le=240, description="the longest a credential of this type lasts from its issue"
    )
    active: bool = Field(default=True, description="an inactive type can no longer be recorded or required")


class CredentialTypeCreate(CredentialTypeBase, ExactTypes):
    model_config = SQLModelConfig(extra="forbid")
    default_for: list[Category] = Field(
        default_factory=list,
        description="new positions of these categories require it unless HQ says otherwise; "
        "a position open to any category requires the types listed for every category",
    )


class CredentialTypeUpdate(Strict):
    model_config = ConfigDict(json_schema_extra=_null_refused(lambda names: names - {"validity_months"}))

    name: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=1000)
    validity_months: int | None = Field(default=None, ge=1, le=240)
    active: bool | None = None
    default_for: list[Category] | None = None


class CredentialTypePublic(CredentialTypeBase):
    default_for: list[Category]


class CredentialTypesPublic(Page):
    data: list[CredentialTypePublic]


# --- Experts -----------------------------------------------------------------


class ExpertBase(SQLModel):
    full_name: str = Field(min_length=1, max_length=200)
    email: str | None = Field(default=None, max_length=254, pattern=EMAIL)
    national_id: str | None = Field(default=None, max_length=64)
    category: Category
    nationality: str = Field(pattern=ISO3, max_length=3, description="ISO 3166-1 alpha-3")
    gender: Gender
    grade: str | None = Field(default=None, max_length=8, description=f"one of {', '.join(GRADE_RANK)}")
    source: Source
    notice_days: int = Field(default=30, ge=0, le=365, description="days needed to deploy once selected")
    active: bool = True


class ExpertLists(Strict):
    skills: list[SkillLevel] = Field(default_factory=list)
    languages: list[LanguageLevel] = Field(default_factory=list)
    levels: list[Level] = Field(default_factory=list)
    availability: list[WindowIn] = Field(
        default_factory=list, description="windows when the expert can deploy; none means any time"
    )
    leave: list[WindowIn] = Field(default_factory=list, description="periods when the expert cannot deploy")
    credentials: list[CredentialIn] = Field(default_factory=list, max_length=50, description="one per type")

    @model_validator(mode="after")
    def _no_duplicates(self) -> Self:
        _unique_codes(self.skills, "skills")
        _unique_codes(self.languages, "languages")
        _unique_codes(self.credentials, "credentials")
        return self


SCREENING_FIELD = f"the {SCREENING} credential's expiry: human-rights screening is valid through this date"


class ExpertCreate(ExpertBase, ExpertLists):
    model_config = SQLModelConfig(extra="forbid")
    grade: Grade | None = None
    screening_valid_until: Day | None = Field(default=None, description=SCREENING_FIELD)
    state: str | None = Field(
        default=None,
        pattern=ISO3,
        description="Member State that nominates the expert; set from the token for Member States",
    )

    @model_validator(mode="after")
    def _screening(self) -> Self:
        _screening_once(self.screening_valid_until, self.credentials)
        return self


class ExpertUpdate(Strict):
    model_config = ConfigDict(json_schema_extra=_null_refused(lambda names: set(EXPERT_NOT_NULL)))

    full_name: str | None = Field(default=None, min_length=1, max_length=200)
    email: str | None = Field(default=None, max_length=254, pattern=EMAIL)
    national_id: str | None = Field(default=None, max_length=64)
    category: Category | None = None
    nationality: str | None = Field(default=None, pattern=ISO3)
    gender: Gender | None = None
    grade: Grade | None = None
    source: Source | None = None
    notice_days: int | None = Field(default=None, ge=0, le=365)
    screening_valid_until: Day | None = None
    active: bool | None = None
    skills: list[SkillLevel] | None = None
    languages: list[LanguageLevel] | None = None
    levels: list[Level] | None = None
    availability: list[WindowIn] | None = None
    leave: list[WindowIn] | None = None
    credentials: list[CredentialIn] | None = Field(
        default=None, max_length=50, description="the whole list: a type left out is removed"
    )

    @model_validator(mode="after")
    def _no_duplicates(self) -> Self:
        _unique_codes(self.skills or [], "skills")
        _unique_codes(self.languages or [], "languages")
        _unique_codes(self.credentials or [], "credentials")
        _screening_once(self.screening_valid_until, self.credentials)
        return self


class ExpertPublic(ExpertBase):
    id: int
    state: str | None
    skills: list[SkillLevel]
    languages: list[LanguageLevel]
    levels: list[Level]
    availability: list[Window]
    leave: list[Window]
    credentials: list[CredentialPublic]
    screening_valid_until: date | None = Field(description=SCREENING_FIELD)
    version: int
    created_at: datetime
    updated_at: datetime


class DuplicateExpert(BaseModel):
    id: int
    full_name: str
    state: str | None = Field(description="the owning Member State; null for UN staff")
    nationality: str
    email: str | None
    national_id: str | None


class DuplicateGroup(BaseModel):
    shared: str = Field(description="what the experts share: 'e-mail' or 'national id'")
    experts: list[DuplicateExpert]


class DuplicatesPublic(Page):
    """Experts of different owners who share an e-mail or a national id: the same person twice, or a typo."""

    data: list[DuplicateGroup]


class ExpertsPublic(Page):
    count_exact: bool = Field(
        True, description="false when count is PostgreSQL's estimate (ask exact_count=true for an exact one)"
    )
    next_after: int | None = Field(
        None, description="pass as after= for the next page (keyset paging, by id); null on the last page"
    )
    data: list[ExpertPublic]


# --- Offers ------------------------------------------------------------------


class OfferBase(SQLModel):
    title: str = Field(min_length=1, max_length=200)
    kind: OfferKind
    slots: int = Field(default=1, ge=1, le=500, description="positions the offer can fill at once")
    category: Category
    available_from: date
    available_to: date
    max_duration_days: int | None = Field(default=None, ge=1, le=3650)
    readiness: Readiness = Readiness.pledged
    cost_bearer: CostBearer = CostBearer.member_state
    notice_days: int = Field(default=60, ge=0, le=365)
    expires_on: date = Field(description="the offer must be renewed before this date")


class OfferLists(Strict):
    skills: list[SkillLevel] = Field(default_factory=list)
    levels: list[Level] = Field(default_factory=list)
    languages: list[LanguageLevel] = Field(default_factory=list)
    excluded_missions: list[str] = Field(default_factory=list, description="caveat: mission codes excluded")
    excluded_states: list[str] = Field(default_factory=list, description="caveat: host states excluded (ISO3)")
    expert_ids: list[RowId] = Field(default_factory=list, description="named experts put forward (own state only)")
    credentials: list[CredentialIn] = Field(
        default_factory=list, max_length=50, description="attested for every member of the team: one per type"
    )

    @model_validator(mode="after")
    def _no_duplicates(self) -> Self:
        _unique_codes(self.skills, "skills")
        _unique_codes(self.languages, "languages")
        _unique_codes(self.credentials, "credentials")
        return self


def _offer_dates(available_from: date | None, available_to: date | None) -> None:
    if available_from and available_to and available_to < available_from:
        raise ValueError(
            f"available_to {available_to} is before available_from {available_from}: swap them or fix the dates"
        )


class OfferCreate(OfferBase, OfferLists):
    model_config = SQLModelConfig(extra="forbid")
    state: str | None = Field(default=None, pattern=ISO3, description="set from the token for Member States")
    status: OfferStatus = OfferStatus.submitted
    available_from: Day
    available_to: Day
    expires_on: Day = Field(description="the offer must be renewed before this date")

    @model_validator(mode="after")
    def _dates(self) -> Self:
        _offer_dates(self.available_from, self.available_to)
        return self


class OfferUpdate(Strict):
    model_config = ConfigDict(json_schema_extra=_null_refused(lambda names: names - OFFER_NULLABLE))

    title: str | None = Field(default=None, min_length=1, max_length=200)
    kind: OfferKind | None = None
    slots: int | None = Field(default=None, ge=1, le=500)
    category: Category | None = None
    available_from: Day | None = None
    available_to: Day | None = None
    max_duration_days: int | None = Field(default=None, ge=1, le=3650)
    readiness: Readiness | None = None
    cost_bearer: CostBearer | None = None
    notice_days: int | None = Field(default=None, ge=0, le=365)
    expires_on: Day | None = None
    status: OfferStatus | None = None
    skills: list[SkillLevel] | None = None
    levels: list[Level] | None = None
    languages: list[LanguageLevel] | None = None
    excluded_missions: list[str] | None = None
    excluded_states: list[str] | None = None
    expert_ids: list[RowId] | None = None
    credentials: list[CredentialIn] | None = Field(
        default=None, max_length=50, description="the whole list: a type left out is removed"
    )

    @model_validator(mode="after")
    def _no_duplicates(self) -> Self:
        _unique_codes(self.credentials or [], "credentials")
        return self


class AssessmentCreate(Strict):
    """An assessment and advisory visit, as HQ records it (passed: the offer becomes at least `assessed`)."""

    visited_on: Day = Field(description="the day of the visit (or the end of it)")
    team: str = Field(min_length=1, max_length=200, description="who assessed: the team's names or its reference")
    result: AssessmentResult
    note: str = Field(default="", max_length=2000)


class AssessmentPublic(AssessmentCreate):
    id: int
    offer_id: int
    recorded_by: str
    recorded_at: datetime


class ReadinessChange(Strict):
    """HQ sets an offer's readiness, with the reason kept in the audit trail."""

    readiness: Readiness
    reason: str = Field(min_length=3, max_length=1000, description="why: kept in the audit trail")


class OfferPublic(OfferBase, OfferLists):
    model_config = SQLModelConfig(extra="ignore")
    credentials: list[CredentialPublic]  # type: ignore[assignment]  # as stored: verified by and on are set
    id: int
    state: str
    status: OfferStatus
    slots_used: int
    version: int
    created_at: datetime
    updated_at: datetime


class OffersPublic(Page):
    data: list[OfferPublic]


# --- Capacity requests and positions -------------------------------------------


class PositionBase(SQLModel):
    title: str = Field(min_length=1, max_length=200)
    level: Level | None = Field(default=None, description="defaults to the request's level")
    category: Category | None = Field(default=None, description="None accepts any category")
    grade_min: str | None = Field(default=None, max_length=8)
    grade_max: str | None = Field(default=None, max_length=8)
    start_date: date
    end_date: date
    count: int = Field(default=1, ge=1, le=500)
    group: str | None = Field(default=None, max_length=40, description="label shared by positions filled together")
    all_or_nothing: bool = Field(default=False, description="the group is filled whole or not at all")
    same_offer: bool = Field(default=False, description="the group is filled from one Member State offer (a team)")
    trainees: int | None = Field(default=None, ge=1, le=100_000)
    trainer_ratio: int | None = Field(default=None, ge=1, description="trainees per trainer, e.g. 29")


class PositionLists(Strict):
    required_skills: list[SkillRequirement] = Field(default_factory=list)
    desired_skills: list[SkillRequirement] = Field(default_factory=list)
    languages: list[LanguageRequirement] = Field(default_factory=list)
    assessment_stages: list[AssessmentStage] = Field(
        default_factory=list,
        max_length=len(AssessmentStage),
        description="stages a candidate must have passed (HQ records each result on the nomination)",
        json_schema_extra={"uniqueItems": True},
    )
    required_credentials: list[CredentialCode] = Field(
        default_factory=list,
        max_length=50,
        description="credential types a candidate must hold, valid through the position's end",
        json_schema_extra={"uniqueItems": True},
    )


def check_position(p: "PositionCreate | PositionUpdate") -> None:
    """Cross-field rules of a position, shared by create and (merged) update: the broken ones in one message."""
    if problems := position_problems(p):
        raise ValueError("; ".join(problems))


def position_problems(p: "PositionCreate | PositionUpdate") -> list[str]:
    """Every cross-field rule a position breaks, each in a sentence (the request form shows them all at once)."""
    problems = []
    if p.start_date and p.end_date and p.end_date < p.start_date:
        problems.append(f"end_date {p.end_date} is before start_date {p.start_date}: swap them or fix the dates")
    if p.grade_min and p.grade_max and GRADE_RANK[p.grade_min] > GRADE_RANK[p.grade_max]:
        problems.append(f"grade_min {p.grade_min} is above grade_max {p.grade_max}: swap them")
    if (p.all_or_nothing or p.same_offer) and not p.group:
        problems.append("all_or_nothing and same_offer need a group label: set 'group'")
    for items, what in ((p.required_skills, "required_skills"), (p.desired_skills, "desired_skills")):
        problems += _twice(items or [], what)
    problems += _twice(p.languages or [], "languages")
    stages = p.assessment_stages or []
    if len(set(stages)) != len(stages):
        problems.append("assessment_stages lists a stage twice: name each stage once")
    credentials = p.required_credentials or []
    if len(set(credentials)) != len(credentials):
        problems.append("required_credentials lists a type twice: name each type once")
    return problems + _ratio_problems(p)


def _twice(items: Sequence[_Coded], what: str) -> list[str]:
    try:
        _unique_codes(items, what)
    except ValueError as exc:
        return [str(exc)]
    return []


def _ratio_problems(p: "PositionCreate | PositionUpdate") -> list[str]:
    if p.trainer_ratio is None:
        return []
    if p.trainees is None:
        return ["trainer_ratio needs trainees: give the number of trainees too"]
    if p.trainer_ratio > p.trainees:
        return [f"trainer_ratio {p.trainer_ratio} exceeds trainees {p.trainees}: a ratio is trainees per trainer"]
    needed = math.ceil(p.trainees / p.trainer_ratio)
    if needed > 500:
        return [f"{p.trainees} trainees at 1:{p.trainer_ratio} need {needed} trainers, over 500: raise the ratio"]
    return []


class PositionCreate(PositionBase, PositionLists):
    model_config = SQLModelConfig(extra="forbid")
    start_date: Day
    end_date: Day
    grade_min: Grade | None = None
    grade_max: Grade | None = None
    count: int | None = Field(  # type: ignore[assignment]  # optional on input only: _rules() always sets it
        default=None, ge=1, le=500, description="derived from trainees and ratio when omitted"
    )
    required_credentials: list[CredentialCode] | None = Field(  # type: ignore[assignment]  # the service sets it
        default=None,
        max_length=50,
        description="credential types a candidate must hold through the position's end; "
        "omitted: the defaults for the position's category (GET /reference/credential-types)",
        json_schema_extra={"uniqueItems": True},
    )

    @model_validator(mode="after")
    def _rules(self) -> Self:
        check_position(self)
        if self.trainer_ratio is not None:
            assert self.trainees is not None  # check_position() refuses a ratio without trainees
            needed = math.ceil(self.trainees / self.trainer_ratio)
            if self.count is None:
                self.count = needed
            elif self.count != needed:
                raise ValueError(
                    f"count {self.count} does not match {self.trainees} trainees at 1:{self.trainer_ratio}, "
                    f"which need {needed} trainers: omit count or set it to {needed}"
                )
        elif self.count is None:
            self.count = 1
        return self


class PositionUpdate(Strict):
    model_config = ConfigDict(json_schema_extra=_null_refused(lambda names: set(POSITION_NOT_NULL)))

    title: str | None = Field(default=None, min_length=1, max_length=200)
    level: Level | None = None
    category: Category | None = None
    grade_min: Grade | None = None
    grade_max: Grade | None = None
    start_date: Day | None = None
    end_date: Day | None = None
    count: int | None = Field(default=None, ge=1, le=500)
    group: str | None = Field(default=None, max_length=40)
    all_or_nothing: bool | None = None
    same_offer: bool | None = None
    trainees: int | None = Field(default=None, ge=1, le=100_000)
    trainer_ratio: int | None = Field(default=None, ge=1)
    required_skills: list[SkillRequirement] | None = None
    desired_skills: list[SkillRequirement] | None = None
    languages: list[LanguageRequirement] | None = None
    assessment_stages: list[AssessmentStage] | None = Field(
        default=None, max_length=len(AssessmentStage), json_schema_extra={"uniqueItems": True}
    )
    required_credentials: list[CredentialCode] | None = Field(
        default=None, max_length=50, json_schema_extra={"uniqueItems": True}
    )


class PositionPublic(PositionBase, PositionLists):
    model_config = SQLModelConfig(extra="ignore")
    id: int
    request_id: int
    filled: int = Field(default=0, description="seats filled by approved deployments")
    version: int


class PositionsPublic(Page):
    data: list[PositionPublic]


class CapacityRequestBase(SQLModel):
    mission: str | None = Field(
        default=None,
        pattern=MISSION_CODE,
        max_length=20,
        description="mission code, e.g. MINUSCA; none for a Member State's request for its own government",
    )
    title: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=10_000)
    level: Level
    priority: int = Field(default=3, ge=1, le=5, description="1 is the most important, 5 the least")
    deploy_by: date | None = Field(default=None, description="urgency: the date by which people must be in place")
    benchmark: Benchmark | None = None
    benchmark_note: str = Field(default="", max_length=500)


# Statuses a request is created or changed to with its fields; `declined` only through HQ's decision.
REQUEST_SET_STATUSES = [s.value for s in RequestStatus if s != RequestStatus.declined]


def _settable_status(status: RequestStatus | None) -> RequestStatus | None:
    if status == RequestStatus.declined:
        raise ValueError("a request is declined through POST /requests/{id}/decision, with a note")
    return status


SettableStatus = Annotated[
    RequestStatus,
    AfterValidator(_settable_status),
    WithJsonSchema({"type": "string", "enum": REQUEST_SET_STATUSES}),
]


class CapacityRequestCreate(CapacityRequestBase, ExactTypes):
    model_config = SQLModelConfig(extra="forbid")
    deploy_by: Day | None = Field(default=None, description="urgency: the date by which people must be in place")
    requested_by_state: str | None = Field(
        default=None, pattern=ISO3, description="the requesting Member State: set from the token for Member States"
    )
    status: SettableStatus | None = Field(
        default=None, description="submitted by default; a Member State's request is always proposed"
    )
    positions: list[PositionCreate] = Field(default_factory=list, max_length=200)


class CapacityRequestUpdate(Strict):
    model_config = ConfigDict(json_schema_extra=_null_refused(lambda names: names - REQUEST_NULLABLE))

    mission: str | None = Field(default=None, pattern=MISSION_CODE, max_length=20)
    title: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=10_000)
    level: Level | None = None
    priority: int | None = Field(default=None, ge=1, le=5)
    deploy_by: Day | None = None
    benchmark: Benchmark | None = None
    benchmark_note: str | None = Field(default=None, max_length=500)
    status: SettableStatus | None = None


class RequestDecisionCreate(Strict):
    """HQ accepts a Member State's proposed request (it becomes `submitted`, plannable) or declines it (final)."""

    decision: RequestDecision
    note: str = Field(default="", max_length=2000, description="why: required to decline, shown to the state")


class CapacityRequestPublic(CapacityRequestBase):
    id: int
    status: RequestStatus
    requested_by_state: str | None = Field(description="the Member State that asked; none for HQ's own requests")
    requested_by: str = Field(description="who submitted it")
    decision_note: str | None = None
    decided_by: str | None = None
    decided_at: datetime | None = None
    positions: list[PositionPublic]
    version: int
    created_at: datetime
    updated_at: datetime


class CapacityRequestsPublic(Page):
    data: list[CapacityRequestPublic]


# --- Reference data ------------------------------------------------------------


class SkillBase(SQLModel):
    code: str = Field(pattern=SKILL_CODE, max_length=24)
    name: str = Field(min_length=1, max_length=200)
    area: str = Field(min_length=1, max_length=100)
    source: str = Field(default="", max_length=500, description="where in the source documents the skill comes from")


class SkillCreate(SkillBase, ExactTypes):
    model_config = SQLModelConfig(extra="forbid")
    levels: list[Level] = Field(min_length=1)


class SkillPublic(SkillBase):
    levels: list[Level]


class SkillsPublic(Page):
    data: list[SkillPublic]


class MemberStateBase(SQLModel):
    iso3: str = Field(pattern=ISO3, max_length=3)
    name: str = Field(min_length=1, max_length=120)


class MemberStatePublic(MemberStateBase):
    pass


class MemberStatesPublic(Page):
    data: list[MemberStatePublic]


class MissionBase(SQLModel):
    code: str = Field(pattern=MISSION_CODE, max_length=20)
    name: str = Field(min_length=1, max_length=200)
    active: bool = True


class MissionCreate(MissionBase, ExactTypes):
    model_config = SQLModelConfig(extra="forbid")
    host_states: list[str] = Field(min_length=1)


class MissionPublic(MissionBase):
    host_states: list[str]


class MissionsPublic(Page):
    data: list[MissionPublic]
