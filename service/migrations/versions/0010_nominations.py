"""calls for nominations

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06

Issue 18 (nomination, assessment, selection): HQ opens calls for nominations on a request's positions
(nomination_call, with the positions and the invited states), Member States nominate their experts or offers
(nomination: one live nomination per position and supplier), HQ records each nominee's assessment stages
(nomination_stage_result). A position lists the stages it requires; positions stored before require none.
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "nomination_call",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("deadline", sa.Date(), nullable=False),
        sa.Column("all_states", sa.Boolean(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "open",
                "closed",
                "cancelled",
                name="ck_callstatus",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column("opened_by", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("opened_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("closed_by", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=True),
        sa.Column("closed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint("(status = 'open') = (closed_at IS NULL)", name="ck_nomination_call_closed_at"),
        sa.ForeignKeyConstraint(["request_id"], ["capacity_request.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("nomination_call", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_nomination_call_request_id"), ["request_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_nomination_call_status"), ["status"], unique=False)

    op.create_table(
        "nomination",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_id", sa.Integer(), nullable=False),
        sa.Column("position_id", sa.Integer(), nullable=False),
        sa.Column("state", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
        sa.Column("expert_id", sa.Integer(), nullable=True),
        sa.Column("offer_id", sa.Integer(), nullable=True),
        sa.Column("supplier_key", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "nominated",
                "withdrawn",
                "selected",
                "not_selected",
                name="ck_nominationstatus",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("created_by", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("withdrawn_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("decided_by", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=True),
        sa.Column("decided_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("decision_note", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint("(status = 'withdrawn') = (withdrawn_at IS NOT NULL)", name="ck_nomination_withdrawn_at"),
        sa.CheckConstraint(
            "status NOT IN ('selected', 'not_selected') OR decided_at IS NOT NULL", name="ck_nomination_decided_at"
        ),
        sa.CheckConstraint("(expert_id IS NULL) <> (offer_id IS NULL)", name="ck_nomination_one_supplier"),
        sa.ForeignKeyConstraint(["call_id"], ["nomination_call.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["expert_id"], ["expert.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["offer_id"], ["offer.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["position_id"], ["position.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["state"],
            ["member_state.iso3"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("nomination", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_nomination_call_id"), ["call_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_nomination_expert_id"), ["expert_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_nomination_offer_id"), ["offer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_nomination_position_id"), ["position_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_nomination_state"), ["state"], unique=False)
        batch_op.create_index(batch_op.f("ix_nomination_status"), ["status"], unique=False)
        batch_op.create_index(
            "uq_nomination_live",
            ["position_id", "supplier_key"],
            unique=True,
            sqlite_where=sa.text("status <> 'withdrawn'"),
            postgresql_where=sa.text("status <> 'withdrawn'"),
        )

    op.create_table(
        "nomination_call_position",
        sa.Column("call_id", sa.Integer(), nullable=False),
        sa.Column("position_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["call_id"], ["nomination_call.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["position_id"], ["position.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("call_id", "position_id"),
    )
    with op.batch_alter_table("nomination_call_position", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_nomination_call_position_position_id"), ["position_id"], unique=False)

    op.create_table(
        "nomination_call_state",
        sa.Column("call_id", sa.Integer(), nullable=False),
        sa.Column("state", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
        sa.ForeignKeyConstraint(["call_id"], ["nomination_call.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["state"],
            ["member_state.iso3"],
        ),
        sa.PrimaryKeyConstraint("call_id", "state"),
    )
    with op.batch_alter_table("nomination_call_state", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_nomination_call_state_state"), ["state"], unique=False)

    op.create_table(
        "nomination_stage_result",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("nomination_id", sa.Integer(), nullable=False),
        sa.Column(
            "stage",
            sa.Enum(
                "document_check",
                "interview",
                "language_test",
                "driving_test",
                "firearms_test",
                name="ck_assessmentstage",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column(
            "result",
            sa.Enum(
                "passed", "failed", name="ck_assessmentresult", native_enum=False, create_constraint=True, length=24
            ),
            nullable=False,
        ),
        sa.Column("assessed_on", sa.Date(), nullable=False),
        sa.Column("assessor", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column("recorded_by", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("recorded_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["nomination_id"], ["nomination.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("nomination_stage_result", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_nomination_stage_result_nomination_id"), ["nomination_id"], unique=False)

    with op.batch_alter_table("position", schema=None) as batch_op:
        batch_op.add_column(sa.Column("assessment_stages", sa.JSON(), nullable=False, server_default="[]"))


def downgrade() -> None:
    with op.batch_alter_table("position", schema=None) as batch_op:
        batch_op.drop_column("assessment_stages")

    with op.batch_alter_table("nomination_stage_result", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_nomination_stage_result_nomination_id"))

    op.drop_table("nomination_stage_result")
    with op.batch_alter_table("nomination_call_state", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_nomination_call_state_state"))

    op.drop_table("nomination_call_state")
    with op.batch_alter_table("nomination_call_position", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_nomination_call_position_position_id"))

    op.drop_table("nomination_call_position")
    with op.batch_alter_table("nomination", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_nomination_live",
            sqlite_where=sa.text("status <> 'withdrawn'"),
            postgresql_where=sa.text("status <> 'withdrawn'"),
        )
        batch_op.drop_index(batch_op.f("ix_nomination_status"))
        batch_op.drop_index(batch_op.f("ix_nomination_state"))
        batch_op.drop_index(batch_op.f("ix_nomination_position_id"))
        batch_op.drop_index(batch_op.f("ix_nomination_offer_id"))
        batch_op.drop_index(batch_op.f("ix_nomination_expert_id"))
        batch_op.drop_index(batch_op.f("ix_nomination_call_id"))

    op.drop_table("nomination")
    with op.batch_alter_table("nomination_call", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_nomination_call_status"))
        batch_op.drop_index(batch_op.f("ix_nomination_call_request_id"))

    op.drop_table("nomination_call")
