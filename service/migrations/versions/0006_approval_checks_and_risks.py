"""approval checks, superseded plans, deployments at risk

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02

Issue 16: a plan that a newer one over the same requests replaces is read-only (plan.superseded_by);
a live deployment that no longer satisfies a rule says which (deployment.at_risk, at_risk_since); an
approval against a breakable rule keeps the planner's reason and the rules (override_reason,
overridden_rules).
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("plan", schema=None) as batch_op:
        batch_op.add_column(sa.Column("superseded_by", sa.Integer(), nullable=True))
    with op.batch_alter_table("deployment", schema=None) as batch_op:
        batch_op.add_column(sa.Column("at_risk", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("at_risk_since", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("override_reason", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True))
        batch_op.add_column(sa.Column("overridden_rules", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("deployment", schema=None) as batch_op:
        batch_op.drop_column("overridden_rules")
        batch_op.drop_column("override_reason")
        batch_op.drop_column("at_risk_since")
        batch_op.drop_column("at_risk")
    with op.batch_alter_table("plan", schema=None) as batch_op:
        batch_op.drop_column("superseded_by")
