"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


AUDIT_GUARD_SQLITE = [
    f"""CREATE TRIGGER audit_log_no_{verb} BEFORE {verb.upper()} ON audit_log
        BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END"""
    for verb in ("update", "delete")
]
AUDIT_GUARD_POSTGRES = [
    """CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'audit_log is append-only'; END $$""",
    """CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_log
        FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()""",
]


def upgrade() -> None:
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("actor_token_id", sa.Integer(), nullable=True),
        sa.Column("actor_name", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("actor_role", sqlmodel.sql.sqltypes.AutoString(length=24), nullable=False),
        sa.Column("actor_state", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=True),
        sa.Column("action", sqlmodel.sql.sqltypes.AutoString(length=24), nullable=False),
        sa.Column("entity", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("entity_id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_log_actor_token_id"), ["actor_token_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_log_at"), ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_log_entity"), ["entity"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_log_entity_id"), ["entity_id"], unique=False)

    op.create_table(
        "idempotency_key",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("method", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("path", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("body_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("response_body", sa.Text(), nullable=True),
        sa.Column("content_type", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash", "key", name="uq_idempotency_token_key"),
    )
    op.create_table(
        "member_state",
        sa.Column("iso3", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.PrimaryKeyConstraint("iso3"),
    )
    op.create_table(
        "mission",
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("host_states", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("code"),
    )
    op.create_table(
        "skill",
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=24), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("area", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("source", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("levels", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("code"),
    )
    op.create_table(
        "api_token",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column(
            "role",
            sa.Enum(
                "admin",
                "hq",
                "planner",
                "member_state",
                name="ck_role",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("state", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=True),
        sa.Column("token_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("prefix", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("revoked_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("last_used_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.CheckConstraint("(role = 'member_state') = (state IS NOT NULL)", name="ck_api_token_state_for_member_state"),
        sa.ForeignKeyConstraint(
            ["state"],
            ["member_state.iso3"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("api_token", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_api_token_token_hash"), ["token_hash"], unique=True)

    op.create_table(
        "capacity_request",
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("description", sqlmodel.sql.sqltypes.AutoString(length=10000), nullable=False),
        sa.Column("mission", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column(
            "level",
            sa.Enum(
                "strategic",
                "operational",
                "tactical",
                name="ck_level",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("deploy_by", sa.Date(), nullable=True),
        sa.Column(
            "benchmark",
            sa.Enum(
                "short_term",
                "medium_term",
                "long_term",
                name="ck_benchmark",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=True,
        ),
        sa.Column("benchmark_note", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "draft",
                "submitted",
                "planning",
                "partly_filled",
                "filled",
                "closed",
                "stood_down",
                name="ck_requeststatus",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["mission"],
            ["mission.code"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("mission", "title", name="uq_request_mission_title"),
    )
    with op.batch_alter_table("capacity_request", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_capacity_request_mission"), ["mission"], unique=False)
        batch_op.create_index(batch_op.f("ix_capacity_request_priority"), ["priority"], unique=False)
        batch_op.create_index(batch_op.f("ix_capacity_request_status"), ["status"], unique=False)

    op.create_table(
        "expert",
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("full_name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("email", sqlmodel.sql.sqltypes.AutoString(length=254), nullable=True),
        sa.Column("national_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("grade", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=True),
        sa.Column("notice_days", sa.Integer(), nullable=False),
        sa.Column("screening_valid_until", sa.Date(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("state", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=True),
        sa.Column("nationality", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
        sa.Column(
            "category",
            sa.Enum(
                "civilian",
                "military",
                "police",
                "corrections",
                "justice",
                name="ck_category",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column(
            "gender",
            sa.Enum("female", "male", "other", name="ck_gender", native_enum=False, create_constraint=True, length=24),
            nullable=False,
        ),
        sa.Column(
            "source",
            sa.Enum(
                "standing_capacity",
                "roster",
                "secondee",
                name="ck_source",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["nationality"],
            ["member_state.iso3"],
        ),
        sa.ForeignKeyConstraint(
            ["state"],
            ["member_state.iso3"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("email", name="uq_expert_email"),
        sa.UniqueConstraint("nationality", "national_id", name="uq_expert_national_id"),
    )
    with op.batch_alter_table("expert", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_expert_category"), ["category"], unique=False)
        batch_op.create_index(batch_op.f("ix_expert_nationality"), ["nationality"], unique=False)
        batch_op.create_index(batch_op.f("ix_expert_state"), ["state"], unique=False)

    op.create_table(
        "offer",
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("slots", sa.Integer(), nullable=False),
        sa.Column("available_from", sa.Date(), nullable=False),
        sa.Column("available_to", sa.Date(), nullable=False),
        sa.Column("max_duration_days", sa.Integer(), nullable=True),
        sa.Column(
            "kind",
            sa.Enum("individual", "team", name="ck_offerkind", native_enum=False, create_constraint=True, length=24),
            nullable=False,
        ),
        sa.Column(
            "category",
            sa.Enum(
                "civilian",
                "military",
                "police",
                "corrections",
                "justice",
                name="ck_category",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column(
            "readiness",
            sa.Enum(
                "pledged",
                "assessed",
                "ready",
                "rapid_deployment",
                name="ck_readiness",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column(
            "cost_bearer",
            sa.Enum(
                "member_state",
                "united_nations",
                "shared",
                name="ck_costbearer",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("notice_days", sa.Integer(), nullable=False),
        sa.Column("expires_on", sa.Date(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("state", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "draft",
                "submitted",
                "accepted",
                "withdrawn",
                "expired",
                name="ck_offerstatus",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("slots_used", sa.Integer(), nullable=False),
        sa.Column("skills", sa.JSON(), nullable=False),
        sa.Column("levels", sa.JSON(), nullable=False),
        sa.Column("languages", sa.JSON(), nullable=False),
        sa.Column("excluded_missions", sa.JSON(), nullable=False),
        sa.Column("excluded_states", sa.JSON(), nullable=False),
        sa.Column("expert_ids", sa.JSON(), nullable=False),
        sa.CheckConstraint("available_to >= available_from", name="ck_offer_dates"),
        sa.CheckConstraint("slots >= 1", name="ck_offer_slots"),
        sa.CheckConstraint("slots_used >= 0 AND slots_used <= slots", name="ck_offer_slots_used"),
        sa.ForeignKeyConstraint(
            ["state"],
            ["member_state.iso3"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("state", "title", name="uq_offer_state_title"),
    )
    with op.batch_alter_table("offer", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_offer_readiness"), ["readiness"], unique=False)
        batch_op.create_index(batch_op.f("ix_offer_state"), ["state"], unique=False)
        batch_op.create_index(batch_op.f("ix_offer_status"), ["status"], unique=False)

    op.create_table(
        "expert_language",
        sa.Column("expert_id", sa.Integer(), nullable=False),
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=2), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.CheckConstraint("level BETWEEN 1 AND 5", name="ck_expert_language_level"),
        sa.ForeignKeyConstraint(["expert_id"], ["expert.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("expert_id", "code"),
    )
    with op.batch_alter_table("expert_language", schema=None) as batch_op:
        batch_op.create_index("ix_expert_language_code_level", ["code", "level"], unique=False)

    op.create_table(
        "expert_level",
        sa.Column("expert_id", sa.Integer(), nullable=False),
        sa.Column(
            "level",
            sa.Enum(
                "strategic",
                "operational",
                "tactical",
                name="ck_level",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(["expert_id"], ["expert.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("expert_id", "level"),
    )
    with op.batch_alter_table("expert_level", schema=None) as batch_op:
        batch_op.create_index("ix_expert_level_level", ["level"], unique=False)

    op.create_table(
        "expert_skill",
        sa.Column("expert_id", sa.Integer(), nullable=False),
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=24), nullable=False),
        sa.Column("proficiency", sa.Integer(), nullable=False),
        sa.CheckConstraint("proficiency BETWEEN 1 AND 5", name="ck_expert_skill_proficiency"),
        sa.ForeignKeyConstraint(
            ["code"],
            ["skill.code"],
        ),
        sa.ForeignKeyConstraint(["expert_id"], ["expert.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("expert_id", "code"),
    )
    with op.batch_alter_table("expert_skill", schema=None) as batch_op:
        batch_op.create_index("ix_expert_skill_code_proficiency", ["code", "proficiency"], unique=False)

    op.create_table(
        "expert_window",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("expert_id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("start", sa.Date(), nullable=False),
        sa.Column("end", sa.Date(), nullable=False),
        sa.CheckConstraint("kind IN ('available', 'leave')", name="ck_expert_window_kind"),
        sa.CheckConstraint('"end" >= start', name="ck_expert_window_order"),
        sa.ForeignKeyConstraint(["expert_id"], ["expert.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("expert_window", schema=None) as batch_op:
        batch_op.create_index("ix_expert_window_expert_kind", ["expert_id", "kind", "start", "end"], unique=False)

    op.create_table(
        "position",
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("grade_min", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=True),
        sa.Column("grade_max", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=True),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("group", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
        sa.Column("all_or_nothing", sa.Boolean(), nullable=False),
        sa.Column("same_offer", sa.Boolean(), nullable=False),
        sa.Column("trainees", sa.Integer(), nullable=True),
        sa.Column("trainer_ratio", sa.Integer(), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column(
            "level",
            sa.Enum(
                "strategic",
                "operational",
                "tactical",
                name="ck_level",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=True,
        ),
        sa.Column(
            "category",
            sa.Enum(
                "civilian",
                "military",
                "police",
                "corrections",
                "justice",
                name="ck_category",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=True,
        ),
        sa.Column("required_skills", sa.JSON(), nullable=False),
        sa.Column("desired_skills", sa.JSON(), nullable=False),
        sa.Column("languages", sa.JSON(), nullable=False),
        sa.Column("filled", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint("count >= 1", name="ck_position_count"),
        sa.CheckConstraint("end_date >= start_date", name="ck_position_dates"),
        sa.ForeignKeyConstraint(["request_id"], ["capacity_request.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("position", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_position_request_id"), ["request_id"], unique=False)

    guards = AUDIT_GUARD_POSTGRES if op.get_bind().dialect.name == "postgresql" else AUDIT_GUARD_SQLITE
    for statement in guards:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log")
        op.execute("DROP FUNCTION IF EXISTS audit_log_append_only()")
    with op.batch_alter_table("position", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_position_request_id"))

    op.drop_table("position")
    with op.batch_alter_table("expert_window", schema=None) as batch_op:
        batch_op.drop_index("ix_expert_window_expert_kind")

    op.drop_table("expert_window")
    with op.batch_alter_table("expert_skill", schema=None) as batch_op:
        batch_op.drop_index("ix_expert_skill_code_proficiency")

    op.drop_table("expert_skill")
    with op.batch_alter_table("expert_level", schema=None) as batch_op:
        batch_op.drop_index("ix_expert_level_level")

    op.drop_table("expert_level")
    with op.batch_alter_table("expert_language", schema=None) as batch_op:
        batch_op.drop_index("ix_expert_language_code_level")

    op.drop_table("expert_language")
    with op.batch_alter_table("offer", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_offer_status"))
        batch_op.drop_index(batch_op.f("ix_offer_state"))
        batch_op.drop_index(batch_op.f("ix_offer_readiness"))

    op.drop_table("offer")
    with op.batch_alter_table("expert", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_expert_state"))
        batch_op.drop_index(batch_op.f("ix_expert_nationality"))
        batch_op.drop_index(batch_op.f("ix_expert_category"))

    op.drop_table("expert")
    with op.batch_alter_table("capacity_request", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_capacity_request_status"))
        batch_op.drop_index(batch_op.f("ix_capacity_request_priority"))
        batch_op.drop_index(batch_op.f("ix_capacity_request_mission"))

    op.drop_table("capacity_request")
    with op.batch_alter_table("api_token", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_token_token_hash"))

    op.drop_table("api_token")
    op.drop_table("skill")
    op.drop_table("mission")
    op.drop_table("member_state")
    op.drop_table("idempotency_key")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_log_entity_id"))
        batch_op.drop_index(batch_op.f("ix_audit_log_entity"))
        batch_op.drop_index(batch_op.f("ix_audit_log_at"))
        batch_op.drop_index(batch_op.f("ix_audit_log_actor_token_id"))

    op.drop_table("audit_log")
