"""experts' e-mail and national id unique per owning state

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02

Unique across the whole roster, they let one Member State learn that another's expert exists (a 409
naming the e-mail) and register a national id first so that the owner's own expert is refused. Unique
within the owning state now (UN staff, with no state, count as one owner); HQ sees the duplicates across
states (GET /experts/duplicates). SQLite rebuilds the table to drop the constraints, which drops its
triggers: the roster version's are made again, as 0004 made them.
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

BUMP = "UPDATE data_version SET version = version + 1 WHERE name = 'experts'"
OWNER = sa.text("coalesce(state, '')")


def _sqlite_triggers() -> None:
    for verb in ("insert", "update", "delete"):
        op.execute(f"DROP TRIGGER IF EXISTS expert_{verb}_bumps_experts")
        op.execute(f"CREATE TRIGGER expert_{verb}_bumps_experts AFTER {verb.upper()} ON expert BEGIN {BUMP}; END")


def upgrade() -> None:
    with op.batch_alter_table("expert", schema=None) as batch_op:
        batch_op.drop_constraint("uq_expert_email", type_="unique")
        batch_op.drop_constraint("uq_expert_national_id", type_="unique")
    op.create_index("uq_expert_state_email", "expert", [OWNER, "email"], unique=True)
    op.create_index("uq_expert_state_national_id", "expert", [OWNER, "nationality", "national_id"], unique=True)
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_triggers()


def downgrade() -> None:
    op.drop_index("uq_expert_state_national_id", table_name="expert")
    op.drop_index("uq_expert_state_email", table_name="expert")
    with op.batch_alter_table("expert", schema=None) as batch_op:
        batch_op.create_unique_constraint("uq_expert_email", ["email"])
        batch_op.create_unique_constraint("uq_expert_national_id", ["nationality", "national_id"])
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_triggers()
