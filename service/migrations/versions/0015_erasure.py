"""erasure of one person everywhere

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-09

Issue 23 (erasure): an admin, or the owning Member State with HQ's approval when the expert was deployed, erases
one person: `erasure` keeps the requests. The audit log stays append-only, except for an erasure: it may rewrite
the `before` and `after` of past entries (the person's data, not what happened nor who acted), and nothing else.
PostgreSQL: only in a transaction that set `roster.erasing` to `on` (`SET LOCAL`); SQLite: only while
`erasure_in_progress` holds a row, which the erasure's transaction adds and removes. DELETE and TRUNCATE stay
refused to everyone.
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

KEPT = ("id", "at", "actor_token_id", "actor_name", "actor_role", "actor_state", "action", "entity", "entity_id")
OPEN = sa.text("status <> 'declined'")

SQLITE_UPDATE_GUARD = f"""CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
    WHEN NOT EXISTS (SELECT 1 FROM erasure_in_progress) OR {" OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in KEPT)}
    BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: only an erasure may rewrite before and after'); END"""
SQLITE_OLD_UPDATE_GUARD = """CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
    BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END"""

POSTGRES_ERASURE_ONLY = [
    f"""CREATE FUNCTION audit_log_erasure_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF coalesce(current_setting('roster.erasing', true), '') <> 'on' THEN
                RAISE EXCEPTION 'audit_log is append-only';
            END IF;
            IF ({", ".join(f"NEW.{c}" for c in KEPT)}) IS DISTINCT FROM ({", ".join(f"OLD.{c}" for c in KEPT)}) THEN
                RAISE EXCEPTION 'audit_log is append-only: an erasure rewrites before and after only';
            END IF;
            RETURN NEW;
        END $$""",
    "DROP TRIGGER audit_log_append_only ON audit_log",
    """CREATE TRIGGER audit_log_append_only BEFORE DELETE OR TRUNCATE ON audit_log
        FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()""",
    """CREATE TRIGGER audit_log_erasure_only BEFORE UPDATE ON audit_log
        FOR EACH ROW EXECUTE FUNCTION audit_log_erasure_only()""",
]
POSTGRES_APPEND_ONLY = [
    "DROP TRIGGER audit_log_erasure_only ON audit_log",
    "DROP FUNCTION audit_log_erasure_only()",
    "DROP TRIGGER audit_log_append_only ON audit_log",
    """CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_log
        FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()""",
]


def upgrade() -> None:
    op.create_table(
        "erasure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("expert_id", sa.Integer(), nullable=False),
        sa.Column("state", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=True),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("requested_by", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("requested_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("decided_by", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=True),
        sa.Column("decided_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("decision_note", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
        sa.Column("pseudonym", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.CheckConstraint("status IN ('pending', 'declined', 'done')", name="ck_erasure_status"),
        sa.CheckConstraint("(status = 'pending') = (decided_at IS NULL)", name="ck_erasure_decided"),
        sa.ForeignKeyConstraint(["expert_id"], ["expert.id"]),
        sa.ForeignKeyConstraint(["state"], ["member_state.iso3"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("erasure", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_erasure_expert_id"), ["expert_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_erasure_state"), ["state"], unique=False)
        batch_op.create_index(batch_op.f("ix_erasure_status"), ["status"], unique=False)
        batch_op.create_index(
            "uq_erasure_expert_open", ["expert_id"], unique=True, sqlite_where=OPEN, postgresql_where=OPEN
        )
    op.create_table(
        "erasure_in_progress",
        sa.Column("expert_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("expert_id"),
    )
    if op.get_bind().dialect.name == "postgresql":
        for statement in POSTGRES_ERASURE_ONLY:
            op.execute(statement)
    else:
        op.execute("DROP TRIGGER audit_log_no_update")
        op.execute(SQLITE_UPDATE_GUARD)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for statement in POSTGRES_APPEND_ONLY:
            op.execute(statement)
    else:
        op.execute("DROP TRIGGER audit_log_no_update")
        op.execute(SQLITE_OLD_UPDATE_GUARD)
    op.drop_table("erasure_in_progress")
    with op.batch_alter_table("erasure", schema=None) as batch_op:
        batch_op.drop_index("uq_erasure_expert_open", sqlite_where=OPEN, postgresql_where=OPEN)
        batch_op.drop_index(batch_op.f("ix_erasure_status"))
        batch_op.drop_index(batch_op.f("ix_erasure_state"))
        batch_op.drop_index(batch_op.f("ix_erasure_expert_id"))
    op.drop_table("erasure")
