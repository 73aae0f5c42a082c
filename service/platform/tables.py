"""Table models. Each inherits a data model from ``schemas.roster``; none is inherited from."""

from datetime import UTC, date, datetime
from enum import Enum

import sqlalchemy as sa
from sqlmodel import JSON, Field, Relationship, SQLModel

from schemas.enums import (
    AssessmentResult,
    AssessmentStage,
    Benchmark,
    CallStatus,
    Category,
    CostBearer,
    DeliveryStatus,
    DeploymentStatus,
    Gender,
    Level,
    NominationStatus,
    OfferKind,
    OfferStatus,
    PlanStatus,
    Readiness,
    RequestStatus,
    ReviewStatus,
    Role,
    Source,
)
from schemas.roster import (
    CapacityRequestBase,
    CredentialTypeBase,
    ExpertBase,
    MemberStateBase,
    MissionBase,
    OfferBase,
    PositionBase,
    SkillBase,
)


def utcnow() -> datetime:
    return datetime.now(UTC)


def stored_id(id: int | None) -> int:
    """The id of a row read from the database: the column types it ``int | None``, None only before a flush."""
    if id is None:
        raise ValueError("a row read from the database has no id")
    return id


def enum_type(enum: type[Enum]) -> sa.Enum:
    """A portable enum column: VARCHAR plus a CHECK constraint, never a native PG type."""
    return sa.Enum(
        enum,
        native_enum=False,
        create_constraint=True,
        length=24,
        validate_strings=True,
        name=f"ck_{enum.__name__.lower()}",
        values_callable=lambda e: [m.value for m in e],
    )


class Versioned(SQLModel):
    version: int = Field(default=1)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


# --- Reference data ----------------------------------------------------------------


class MemberState(MemberStateBase, table=True):
    __tablename__ = "member_state"
    iso3: str = Field(primary_key=True, max_length=3)


class Skill(SkillBase, table=True):
    __tablename__ = "skill"
    code: str = Field(primary_key=True, max_length=24)
    levels: list[str] = Field(sa_type=JSON)


class Mission(MissionBase, table=True):
    __tablename__ = "mission"
    code: str = Field(primary_key=True, max_length=20)
    host_states: list[str] = Field(sa_type=JSON)


class CredentialType(CredentialTypeBase, table=True):
    __tablename__ = "credential_type"
    code: str = Field(primary_key=True, max_length=24)
    default_for: list[str] = Field(default_factory=list, sa_type=JSON)


class Credential(SQLModel, table=True):
    """A credential of an expert, or an offer's attestation for its whole team: one per type and holder."""

    __tablename__ = "credential"
    __table_args__ = (
        sa.CheckConstraint("(expert_id IS NULL) <> (offer_id IS NULL)", name="ck_credential_holder"),
        sa.CheckConstraint("issued_on IS NULL OR expires_on >= issued_on", name="ck_credential_dates"),
        sa.UniqueConstraint("expert_id", "code", name="uq_credential_expert_code"),
        sa.UniqueConstraint("offer_id", "code", name="uq_credential_offer_code"),
        sa.Index("ix_credential_expires_on", "expires_on"),
    )
    id: int | None = Field(default=None, primary_key=True)
    expert_id: int | None = Field(default=None, foreign_key="expert.id", ondelete="CASCADE")
    offer_id: int | None = Field(default=None, foreign_key="offer.id", ondelete="CASCADE", index=True)
    code: str = Field(foreign_key="credential_type.code", max_length=24)
    issued_on: date | None = None
    expires_on: date
    verified_by: str = Field(max_length=200)
    verified_on: date
    # The expiry a reminder was sent for: one reminder per credential; a renewal (a new expiry) re-arms it.
    reminded_for: date | None = None


# --- Experts ---------------------------------------------------------------------


class Expert(ExpertBase, Versioned, table=True):
    __tablename__ = "expert"
    # Unique within the owning state (UN staff, no state, count as one): a state cannot block or discover
    # another's people by their e-mail or national id (duplicates across states go to HQ's queue).
    __table_args__ = (
        sa.Index("uq_expert_state_email", sa.text("coalesce(state, '')"), "email", unique=True),
        sa.Index(
            "uq_expert_state_national_id", sa.text("coalesce(state, '')"), "nationality", "national_id", unique=True
        ),
        # searching names by any part: a trigram index on PostgreSQL (migration 0014), a plain one on SQLite
        sa.Index(
            "ix_expert_name_trigram",
            sa.text("lower(full_name)"),
            postgresql_using="gin",
            postgresql_ops={"lower(full_name)": "gin_trgm_ops"},
        ),
    )
    id: int | None = Field(default=None, primary_key=True)
    state: str | None = Field(default=None, foreign_key="member_state.iso3", index=True, max_length=3)
    nationality: str = Field(foreign_key="member_state.iso3", index=True, max_length=3)
    category: Category = Field(sa_type=enum_type(Category), index=True)
    gender: Gender = Field(sa_type=enum_type(Gender))
    source: Source = Field(sa_type=enum_type(Source))
    skills: list["ExpertSkill"] = Relationship(
        cascade_delete=True, sa_relationship_kwargs={"lazy": "selectin", "order_by": "ExpertSkill.code"}
    )
    languages: list["ExpertLanguage"] = Relationship(
        cascade_delete=True, sa_relationship_kwargs={"lazy": "selectin", "order_by": "ExpertLanguage.code"}
    )
    levels: list["ExpertLevel"] = Relationship(
        cascade_delete=True, sa_relationship_kwargs={"lazy": "selectin", "order_by": "ExpertLevel.level"}
    )
    windows: list["ExpertWindow"] = Relationship(
        cascade_delete=True, sa_relationship_kwargs={"lazy": "selectin", "order_by": "ExpertWindow.start"}
    )
    credentials: list[Credential] = Relationship(
        cascade_delete=True,
        sa_relationship_kwargs={
            "lazy": "selectin",
            "order_by": "Credential.code",
            "foreign_keys": "Credential.expert_id",
        },
    )


class ExpertSkill(SQLModel, table=True):
    __tablename__ = "expert_skill"
    __table_args__ = (
        sa.CheckConstraint("proficiency BETWEEN 1 AND 5", name="ck_expert_skill_proficiency"),
        sa.Index("ix_expert_skill_code_expert", "code", "expert_id", "proficiency"),
    )
    expert_id: int = Field(foreign_key="expert.id", primary_key=True, ondelete="CASCADE")
    code: str = Field(foreign_key="skill.code", primary_key=True, max_length=24)
    proficiency: int


class ExpertLanguage(SQLModel, table=True):
    __tablename__ = "expert_language"
    __table_args__ = (
        sa.CheckConstraint("level BETWEEN 1 AND 5", name="ck_expert_language_level"),
        sa.Index("ix_expert_language_code_expert", "code", "expert_id", "level"),
    )
    expert_id: int = Field(foreign_key="expert.id", primary_key=True, ondelete="CASCADE")
    code: str = Field(primary_key=True, max_length=2)
    level: int


class ExpertLevel(SQLModel, table=True):
    __tablename__ = "expert_level"
    __table_args__ = (sa.Index("ix_expert_level_level_expert", "level", "expert_id"),)
    expert_id: int = Field(foreign_key="expert.id", primary_key=True, ondelete="CASCADE")
    level: Level = Field(sa_type=enum_type(Level), primary_key=True)


class ExpertWindow(SQLModel, table=True):
    """An availability window (``available``) or a period of leave (``leave``)."""

    __tablename__ = "expert_window"
    __table_args__ = (
        sa.CheckConstraint('"end" >= start', name="ck_expert_window_order"),
        sa.CheckConstraint("kind IN ('available', 'leave')", name="ck_expert_window_kind"),
        sa.Index("ix_expert_window_expert_kind", "expert_id", "kind", "start", "end"),
    )
    id: int | None = Field(default=None, primary_key=True)
    expert_id: int = Field(foreign_key="expert.id", ondelete="CASCADE")
    kind: str = Field(max_length=10)
    start: date
    end: date


# --- Offers ----------------------------------------------------------------------


class Offer(OfferBase, Versioned, table=True):
    __tablename__ = "offer"
    __table_args__ = (
        sa.UniqueConstraint("state", "title", name="uq_offer_state_title"),
        sa.CheckConstraint("available_to >= available_from", name="ck_offer_dates"),
        sa.CheckConstraint("slots >= 1", name="ck_offer_slots"),
        sa.CheckConstraint("slots_used >= 0 AND slots_used <= slots", name="ck_offer_slots_used"),
    )
    id: int | None = Field(default=None, primary_key=True)
    state: str = Field(foreign_key="member_state.iso3", index=True, max_length=3)
    kind: OfferKind = Field(sa_type=enum_type(OfferKind))
    category: Category = Field(sa_type=enum_type(Category))
    readiness: Readiness = Field(sa_type=enum_type(Readiness), index=True)
    cost_bearer: CostBearer = Field(sa_type=enum_type(CostBearer))
    status: OfferStatus = Field(sa_type=enum_type(OfferStatus), index=True)
    slots_used: int = 0
    skills: list[dict] = Field(default_factory=list, sa_type=JSON)
    levels: list[str] = Field(default_factory=list, sa_type=JSON)
    languages: list[dict] = Field(default_factory=list, sa_type=JSON)
    excluded_missions: list[str] = Field(default_factory=list, sa_type=JSON)
    excluded_states: list[str] = Field(default_factory=list, sa_type=JSON)
    expert_ids: list[int] = Field(default_factory=list, sa_type=JSON)
    credentials: list[Credential] = Relationship(
        cascade_delete=True,
        sa_relationship_kwargs={
            "lazy": "selectin",
            "order_by": "Credential.code",
            "foreign_keys": "Credential.offer_id",
        },
    )


class OfferAssessment(SQLModel, table=True):
    """An assessment and advisory visit to an offer (the capability readiness system's level 2), kept as
    recorded: the evidence behind an offer's readiness above `pledged`."""

    __tablename__ = "offer_assessment"
    id: int | None = Field(default=None, primary_key=True)
    offer_id: int = Field(foreign_key="offer.id", index=True, ondelete="CASCADE")
    visited_on: date
    team: str = Field(max_length=200)
    result: AssessmentResult = Field(sa_type=enum_type(AssessmentResult))
    note: str = Field(default="", max_length=2000)
    recorded_by: str = Field(max_length=120)
    recorded_at: datetime = Field(default_factory=utcnow)


# --- Capacity requests -------------------------------------------------------------


class CapacityRequest(CapacityRequestBase, Versioned, table=True):
    __tablename__ = "capacity_request"
    __table_args__ = (
        # One title per mission; a request outside a mission is for its state's own government: one title there
        # per state.
        sa.UniqueConstraint("mission", "title", name="uq_request_mission_title"),
        sa.Index(
            "uq_request_state_title",
            "requested_by_state",
            "title",
            unique=True,
            sqlite_where=sa.text("mission IS NULL"),
            postgresql_where=sa.text("mission IS NULL"),
        ),
        sa.CheckConstraint("mission IS NOT NULL OR requested_by_state IS NOT NULL", name="ck_request_mission_or_state"),
        sa.CheckConstraint(
            "status <> 'proposed' OR requested_by_state IS NOT NULL", name="ck_request_proposed_by_a_state"
        ),
        sa.CheckConstraint(
            "status <> 'declined' OR (requested_by_state IS NOT NULL AND decided_at IS NOT NULL "
            "AND decided_by IS NOT NULL AND decision_note IS NOT NULL AND decision_note <> '')",
            name="ck_request_declined_with_note",
        ),
    )
    id: int | None = Field(default=None, primary_key=True)
    mission: str | None = Field(default=None, foreign_key="mission.code", index=True, max_length=20)
    requested_by_state: str | None = Field(default=None, foreign_key="member_state.iso3", index=True, max_length=3)
    requested_by: str = Field(default="HQ", max_length=120, sa_column_kwargs={"server_default": "HQ"})
    decision_note: str | None = Field(default=None, max_length=2000)
    decided_by: str | None = Field(default=None, max_length=120)
    decided_at: datetime | None = None
    level: Level = Field(sa_type=enum_type(Level))
    benchmark: Benchmark | None = Field(default=None, sa_type=enum_type(Benchmark))
    status: RequestStatus = Field(sa_type=enum_type(RequestStatus), index=True)
    priority: int = Field(index=True)
    positions: list["Position"] = Relationship(
        back_populates="request",
        cascade_delete=True,
        sa_relationship_kwargs={"lazy": "selectin", "order_by": "Position.id"},
    )


class Position(PositionBase, table=True):
    __tablename__ = "position"
    __table_args__ = (
        sa.CheckConstraint("end_date >= start_date", name="ck_position_dates"),
        sa.CheckConstraint("count >= 1", name="ck_position_count"),
    )
    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="capacity_request.id", index=True, ondelete="CASCADE")
    level: Level | None = Field(default=None, sa_type=enum_type(Level))
    category: Category | None = Field(default=None, sa_type=enum_type(Category))
    required_skills: list[dict] = Field(default_factory=list, sa_type=JSON)
    desired_skills: list[dict] = Field(default_factory=list, sa_type=JSON)
    languages: list[dict] = Field(default_factory=list, sa_type=JSON)
    assessment_stages: list[str] = Field(default_factory=list, sa_type=JSON)
    required_credentials: list[str] = Field(default_factory=list, sa_type=JSON)
    filled: int = 0
    version: int = 1
    request: CapacityRequest = Relationship(back_populates="positions")


# --- Calls for nominations ----------------------------------------------------------


class NominationCall(SQLModel, table=True):
    """HQ asks Member States (all, or those listed) to nominate candidates for some positions of a request."""

    __tablename__ = "nomination_call"
    __table_args__ = (
        sa.CheckConstraint("(status = 'open') = (closed_at IS NULL)", name="ck_nomination_call_closed_at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="capacity_request.id", index=True, ondelete="CASCADE")
    deadline: date
    all_states: bool = Field(default=True, description="every Member State is invited; else those listed")
    status: CallStatus = Field(default=CallStatus.open, sa_type=enum_type(CallStatus), index=True)
    note: str = Field(default="", max_length=2000)
    opened_by: str = Field(max_length=120)
    opened_at: datetime = Field(default_factory=utcnow)
    closed_by: str | None = Field(default=None, max_length=120)
    closed_at: datetime | None = None
    version: int = 1


class NominationCallPosition(SQLModel, table=True):
    __tablename__ = "nomination_call_position"
    call_id: int = Field(foreign_key="nomination_call.id", primary_key=True, ondelete="CASCADE")
    position_id: int = Field(foreign_key="position.id", primary_key=True, index=True, ondelete="CASCADE")


class NominationCallState(SQLModel, table=True):
    """A Member State invited to a call (none listed: the call is open to all)."""

    __tablename__ = "nomination_call_state"
    call_id: int = Field(foreign_key="nomination_call.id", primary_key=True, ondelete="CASCADE")
    state: str = Field(foreign_key="member_state.iso3", primary_key=True, index=True, max_length=3)


class Nomination(SQLModel, table=True):
    """A Member State puts one of its experts, or an offer's slots, forward for one position of a call."""

    __tablename__ = "nomination"
    __table_args__ = (
        sa.CheckConstraint("(expert_id IS NULL) <> (offer_id IS NULL)", name="ck_nomination_one_supplier"),
        sa.CheckConstraint("(status = 'withdrawn') = (withdrawn_at IS NOT NULL)", name="ck_nomination_withdrawn_at"),
        sa.CheckConstraint(
            "status NOT IN ('selected', 'not_selected') OR decided_at IS NOT NULL", name="ck_nomination_decided_at"
        ),
        sa.Index(
            "uq_nomination_live",
            "position_id",
            "supplier_key",
            unique=True,
            sqlite_where=sa.text("status <> 'withdrawn'"),
            postgresql_where=sa.text("status <> 'withdrawn'"),
        ),
    )
    id: int | None = Field(default=None, primary_key=True)
    call_id: int = Field(foreign_key="nomination_call.id", index=True, ondelete="CASCADE")
    position_id: int = Field(foreign_key="position.id", index=True, ondelete="CASCADE")
    state: str = Field(foreign_key="member_state.iso3", index=True, max_length=3)
    expert_id: int | None = Field(default=None, foreign_key="expert.id", index=True, ondelete="CASCADE")
    offer_id: int | None = Field(default=None, foreign_key="offer.id", index=True, ondelete="CASCADE")
    supplier_key: str = Field(max_length=40, description="E17 for an expert, O5 for an offer (all its slots)")
    note: str = Field(default="", max_length=1000)
    status: NominationStatus = Field(
        default=NominationStatus.nominated, sa_type=enum_type(NominationStatus), index=True
    )
    created_by: str = Field(max_length=120)
    created_at: datetime = Field(default_factory=utcnow)
    withdrawn_at: datetime | None = None
    decided_by: str | None = Field(default=None, max_length=120)
    decided_at: datetime | None = None
    decision_note: str = Field(default="", max_length=1000)
    version: int = 1


class NominationStageResult(SQLModel, table=True):
    """HQ's record of one assessment stage sat by a nominee; the latest per stage counts."""

    __tablename__ = "nomination_stage_result"
    id: int | None = Field(default=None, primary_key=True)
    nomination_id: int = Field(foreign_key="nomination.id", index=True, ondelete="CASCADE")
    stage: AssessmentStage = Field(sa_type=enum_type(AssessmentStage))
    result: AssessmentResult = Field(sa_type=enum_type(AssessmentResult))
    assessed_on: date
    assessor: str = Field(max_length=200)
    note: str = Field(default="", max_length=2000)
    recorded_by: str = Field(max_length=120)
    recorded_at: datetime = Field(default_factory=utcnow)


# --- Access, audit, idempotency ------------------------------------------------------


class ApiToken(SQLModel, table=True):
    __tablename__ = "api_token"
    __table_args__ = (
        sa.CheckConstraint("(role = 'member_state') = (state IS NOT NULL)", name="ck_api_token_state_for_member_state"),
    )
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=120)
    role: Role = Field(sa_type=enum_type(Role))
    state: str | None = Field(default=None, foreign_key="member_state.iso3", max_length=3)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    prefix: str = Field(max_length=12, description="first characters, to recognise a token in lists")
    created_at: datetime = Field(default_factory=utcnow)
    revoked_at: datetime | None = None
    last_used_at: datetime | None = None


class AuditEntry(SQLModel, table=True):
    """Append-only: the migration adds triggers that refuse UPDATE and DELETE."""

    __tablename__ = "audit_log"
    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, index=True)
    actor_token_id: int | None = Field(default=None, index=True)
    actor_name: str = Field(max_length=120)
    actor_role: str = Field(max_length=24)
    actor_state: str | None = Field(default=None, max_length=3)
    action: str = Field(max_length=24)
    entity: str = Field(max_length=40, index=True)
    entity_id: str = Field(max_length=40, index=True)
    before: dict | None = Field(default=None, sa_type=JSON)
    after: dict | None = Field(default=None, sa_type=JSON)


class IdempotencyRecord(SQLModel, table=True):
    __tablename__ = "idempotency_key"
    __table_args__ = (sa.UniqueConstraint("token_hash", "key", name="uq_idempotency_token_key"),)
    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64)
    key: str = Field(max_length=200)
    method: str = Field(max_length=8)
    path: str = Field(max_length=500)
    body_hash: str = Field(max_length=64)
    status_code: int | None = None
    response_body: str | None = Field(default=None, sa_type=sa.Text)
    content_type: str | None = Field(default=None, max_length=100)
    created_at: datetime = Field(default_factory=utcnow)


class SignInFailure(SQLModel, table=True):
    """Recent failed sign-ins of one client address, shared by every API process (see platform/ratelimit.py)."""

    __tablename__ = "sign_in_failure"
    client: str = Field(primary_key=True, max_length=64)
    failures: int = 0
    window_started_at: datetime = Field(index=True)
    blocked_until: datetime | None = None


class WebSession(SQLModel, table=True):
    """A browser signed in with an API token: its cookie holds a random secret, this row only the secret's hash
    (see platform/websessions.py). Revoking the token ends the session; so do idleness and age."""

    __tablename__ = "web_session"
    id: int | None = Field(default=None, primary_key=True)
    secret_hash: str = Field(max_length=64, unique=True, index=True)
    token_id: int = Field(foreign_key="api_token.id", index=True)
    created_at: datetime = Field(default_factory=utcnow, index=True)
    last_seen_at: datetime = Field(default_factory=utcnow, index=True)


# --- Planning: plans, assignments, decisions, deployments ------------------------------


class Plan(SQLModel, table=True):
    """A solve job and, once it succeeded, its result. Assignments appear with the final status only."""

    __tablename__ = "plan"
    id: int | None = Field(default=None, primary_key=True)
    status: PlanStatus = Field(sa_type=enum_type(PlanStatus), index=True)
    parent_id: int | None = Field(default=None, foreign_key="plan.id")
    request_ids: list[int] | None = Field(default=None, sa_type=JSON, description="None: all open requests")
    horizon_start: date | None = None
    horizon_end: date | None = None
    parameters: dict = Field(default_factory=dict, sa_type=JSON)
    created_by: str = Field(max_length=120)
    created_by_token: int | None = None
    created_at: datetime = Field(default_factory=utcnow)
    started_at: datetime | None = None
    finished_at: datetime | None = None
    progress: dict | None = Field(default=None, sa_type=JSON)
    summary: dict | None = Field(default=None, sa_type=JSON)
    error: str | None = Field(default=None, sa_type=sa.Text)
    attempts: int = 0
    cancel_requested: bool = False
    lease_owner: str | None = Field(default=None, max_length=120)
    lease_expires_at: datetime | None = Field(default=None, index=True)
    instance: str | None = Field(default=None, sa_type=sa.Text, description="the solver instance, as JSON")
    result: str | None = Field(default=None, sa_type=sa.Text, description="the solver plan, as JSON")
    superseded_by: int | None = Field(
        default=None, description="a newer plan over the same requests: this one is read-only"
    )


class PlanAssignment(SQLModel, table=True):
    __tablename__ = "plan_assignment"
    __table_args__ = (
        sa.UniqueConstraint("plan_id", "position_id", "seat", name="uq_plan_assignment_seat"),
        sa.CheckConstraint("(expert_id IS NULL) <> (offer_id IS NULL)", name="ck_plan_assignment_one_supplier"),
    )
    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="plan.id", index=True, ondelete="CASCADE")
    position_id: int = Field(foreign_key="position.id", index=True, ondelete="CASCADE")
    seat: int = Field(ge=1)
    expert_id: int | None = Field(default=None, foreign_key="expert.id", ondelete="CASCADE")
    offer_id: int | None = Field(default=None, foreign_key="offer.id", ondelete="CASCADE")
    slot: int = 1
    supplier_key: str = Field(max_length=40, description="E17 for an expert, O5#2 for slot 2 of offer 5")
    start_date: date
    end_date: date
    score: dict = Field(default_factory=dict, sa_type=JSON)
    total: int = 0
    review: ReviewStatus = Field(default=ReviewStatus.proposed, sa_type=enum_type(ReviewStatus))
    reviewed_by: str | None = Field(default=None, max_length=120)
    reviewed_at: datetime | None = None
    deployment_id: int | None = None


class PlanUnfilled(SQLModel, table=True):
    __tablename__ = "plan_unfilled"
    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="plan.id", index=True, ondelete="CASCADE")
    position_id: int = Field(foreign_key="position.id", index=True, ondelete="CASCADE")
    seat: int
    reason: str = Field(sa_type=sa.Text)
    detail: dict = Field(default_factory=dict, sa_type=JSON)


class ForbiddenPair(SQLModel, table=True):
    """A (position, supplier) pair a planner rejected: never proposed again."""

    __tablename__ = "forbidden_pair"
    __table_args__ = (sa.UniqueConstraint("position_id", "supplier", name="uq_forbidden_pair"),)
    id: int | None = Field(default=None, primary_key=True)
    position_id: int = Field(foreign_key="position.id", index=True, ondelete="CASCADE")
    supplier: str = Field(max_length=40, description="E17 or O5 (a whole offer)")
    plan_id: int | None = Field(default=None, foreign_key="plan.id", ondelete="SET NULL")
    created_by: str = Field(max_length=120)
    created_at: datetime = Field(default_factory=utcnow)


LIVE_SQL = "status NOT IN ('cancelled', 'declined')"  # a deployment that holds its seat and its supplier's time
# The consent columns follow the status (migration 0011 adds these; its triggers police the transitions).
DEPLOYMENT_CONSENT_CHECKS = {
    "ck_deployment_consent_due": "status <> 'awaiting_consent' OR consent_due_on IS NOT NULL",
    "ck_deployment_consent_open": "status <> 'awaiting_consent' OR consent_decided_at IS NULL",
    "ck_deployment_declined_decided": "status <> 'declined' OR consent_decided_at IS NOT NULL",
    "ck_deployment_consent_decider": "(consent_decided_at IS NULL) = (consent_decided_by IS NULL)",
    "ck_deployment_consent_asked": "consent_decided_at IS NULL OR consent_due_on IS NOT NULL",
}


class Deployment(SQLModel, table=True):
    """An approved assignment. The database refuses two live deployments of one supplier that overlap, a
    status change its state machine does not allow, and consent columns that do not match the status."""

    __tablename__ = "deployment"
    __table_args__ = (
        sa.CheckConstraint("end_date >= start_date", name="ck_deployment_dates"),
        sa.CheckConstraint("(expert_id IS NULL) <> (offer_id IS NULL)", name="ck_deployment_one_supplier"),
        *(sa.CheckConstraint(sql, name=name) for name, sql in DEPLOYMENT_CONSENT_CHECKS.items()),
        sa.Index(
            "uq_deployment_live_seat",
            "position_id",
            "seat",
            unique=True,
            sqlite_where=sa.text(LIVE_SQL),
            postgresql_where=sa.text(LIVE_SQL),
        ),
        sa.Index("ix_deployment_supplier_dates", "supplier_key", "start_date", "end_date"),
    )
    id: int | None = Field(default=None, primary_key=True)
    position_id: int = Field(foreign_key="position.id", index=True)
    request_id: int = Field(foreign_key="capacity_request.id", index=True)
    seat: int
    expert_id: int | None = Field(default=None, foreign_key="expert.id", index=True)
    offer_id: int | None = Field(default=None, foreign_key="offer.id", index=True)
    slot: int = 1
    supplier_key: str = Field(max_length=40)
    contributing_state: str | None = Field(default=None, foreign_key="member_state.iso3", index=True, max_length=3)
    mission: str | None = Field(default=None, foreign_key="mission.code", index=True, max_length=20)
    start_date: date
    end_date: date = Field(index=True)
    status: DeploymentStatus = Field(default=DeploymentStatus.planned, sa_type=enum_type(DeploymentStatus), index=True)
    plan_id: int | None = Field(default=None, foreign_key="plan.id", ondelete="SET NULL")
    assignment_id: int | None = None
    approved_by: str = Field(max_length=120)
    note: str = Field(default="", max_length=1000)
    at_risk: list[dict] | None = Field(default=None, sa_type=JSON, description="rules it breaks now: [{rule, detail}]")
    at_risk_since: datetime | None = None
    override_reason: str | None = Field(default=None, max_length=1000)
    overridden_rules: list[dict] | None = Field(default=None, sa_type=JSON, description="rules approved against")
    consent_due_on: date | None = Field(default=None, index=True, description="set when the state's consent is asked")
    consent_decided_at: datetime | None = None
    consent_decided_by: str | None = Field(default=None, max_length=120)
    consent_note: str | None = Field(default=None, max_length=1000, description="the state's reason")
    version: int = 1
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


# --- Notifications: outbox, subscriptions, deliveries ----------------------------------


class OutboxEvent(SQLModel, table=True):
    """A state change someone outside HQ cares about, written in the transaction of the change."""

    __tablename__ = "outbox_event"
    id: int | None = Field(default=None, primary_key=True, description="also the polling cursor")
    at: datetime = Field(default_factory=utcnow)
    type: str = Field(max_length=60, index=True, description="e.g. deployment.approved, offer.accepted")
    state: str | None = Field(
        default=None, max_length=3, index=True, description="the Member State concerned; None: HQ only"
    )
    entity: str = Field(max_length=40)
    entity_id: str = Field(max_length=40)
    payload: dict = Field(default_factory=dict, sa_type=JSON)
    txid: int | None = Field(
        default=None,
        sa_type=sa.BigInteger,
        index=True,
        description="PostgreSQL: the writing transaction, so readers never skip a late commit",
    )


class Subscription(SQLModel, table=True):
    __tablename__ = "subscription"
    id: int | None = Field(default=None, primary_key=True)
    token_id: int = Field(foreign_key="api_token.id", index=True)
    role: str = Field(max_length=24)
    state: str | None = Field(default=None, max_length=3)
    url: str = Field(max_length=2000)
    secret: str = Field(max_length=200)
    event_types: list[str] = Field(default_factory=list, sa_type=JSON, description="empty: every type")
    active: bool = True
    cursor: int = Field(default=0, description="last outbox event id turned into a delivery")
    created_at: datetime = Field(default_factory=utcnow)


class Delivery(SQLModel, table=True):
    __tablename__ = "delivery"
    __table_args__ = (sa.UniqueConstraint("subscription_id", "event_id", name="uq_delivery_once"),)
    id: int | None = Field(default=None, primary_key=True)
    subscription_id: int = Field(foreign_key="subscription.id", index=True, ondelete="CASCADE")
    event_id: int = Field(foreign_key="outbox_event.id", index=True)
    status: DeliveryStatus = Field(default=DeliveryStatus.pending, sa_type=enum_type(DeliveryStatus), index=True)
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=utcnow, index=True)
    last_status_code: int | None = None
    last_error: str | None = Field(default=None, max_length=1000)
    delivered_at: datetime | None = None


class DataVersion(SQLModel, table=True):
    """Counters moved on by database triggers whenever the data they name changes (migration 0004)."""

    __tablename__ = "data_version"
    name: str = Field(primary_key=True, max_length=24)
    version: int = Field(sa_type=sa.BigInteger)


# --- Privacy: erasures -----------------------------------------------------------------

ERASURE_STATUSES = ("pending", "declined", "done")
OPEN_ERASURE_SQL = "status <> 'declined'"  # a pending or done erasure: one per expert


class Erasure(SQLModel, table=True):
    """A request to erase one person everywhere (issue 23): done at once, or waiting for HQ's approval."""

    __tablename__ = "erasure"
    __table_args__ = (
        sa.CheckConstraint("status IN ('pending', 'declined', 'done')", name="ck_erasure_status"),
        sa.CheckConstraint("(status = 'pending') = (decided_at IS NULL)", name="ck_erasure_decided"),
        sa.Index(
            "uq_erasure_expert_open",
            "expert_id",
            unique=True,
            sqlite_where=sa.text(OPEN_ERASURE_SQL),
            postgresql_where=sa.text(OPEN_ERASURE_SQL),
        ),
    )
    id: int | None = Field(default=None, primary_key=True)
    expert_id: int = Field(foreign_key="expert.id", index=True)
    state: str | None = Field(default=None, foreign_key="member_state.iso3", index=True, max_length=3)
    reason: str = Field(max_length=1000)
    status: str = Field(max_length=10, index=True)
    requested_by: str = Field(max_length=120)
    requested_at: datetime = Field(default_factory=utcnow)
    decided_by: str | None = Field(default=None, max_length=120)
    decided_at: datetime | None = None
    decision_note: str = Field(default="", max_length=1000)
    pseudonym: str | None = Field(default=None, max_length=200)


class ErasureInProgress(SQLModel, table=True):
    """Filled and emptied by an erasure's own transaction: SQLite's audit guard lets only that transaction rewrite
    the personal data in past entries (PostgreSQL's asks for ``SET LOCAL roster.erasing``)."""

    __tablename__ = "erasure_in_progress"
    expert_id: int = Field(primary_key=True)
