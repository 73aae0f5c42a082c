"""offer assessments

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06

Issue 18 (readiness as the capability readiness system runs it): HQ records the assessment and advisory
visits to an offer (offer_assessment); a passed one raises the offer to `assessed`. Offers stored before keep
their readiness as they were set.
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "offer_assessment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("offer_id", sa.Integer(), nullable=False),
        sa.Column("visited_on", sa.Date(), nullable=False),
        sa.Column("team", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column(
            "result",
            sa.Enum(
                "passed", "failed", name="ck_assessmentresult", native_enum=False, create_constraint=True, length=24
            ),
            nullable=False,
        ),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column("recorded_by", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("recorded_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["offer_id"], ["offer.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("offer_assessment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_offer_assessment_offer_id"), ["offer_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("offer_assessment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_offer_assessment_offer_id"))
    op.drop_table("offer_assessment")
