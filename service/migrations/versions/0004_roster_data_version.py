"""roster data version

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23

A counter that every change to the expert roster (or to the skills taxonomy it refers to) moves
on, in the transaction of the change, maintained by triggers so that no writer can forget it.
Answers computed from the roster are cached while it stands still (service/readcache.py).
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

NAME = "experts"
TABLES = ("expert", "expert_skill", "expert_language", "expert_level", "expert_window", "skill")
BUMP = f"UPDATE data_version SET version = version + 1 WHERE name = '{NAME}'"

# PostgreSQL: a deferred trigger runs at commit, once per transaction (a local setting remembers it),
# so that concurrent writers hold the counter's row lock only while they commit.
POSTGRES_FUNCTION = f"""CREATE FUNCTION roster_bump_experts() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF coalesce(current_setting('roster.experts_bumped', true), '') <> 'on' THEN
            PERFORM set_config('roster.experts_bumped', 'on', true);
            {BUMP};
        END IF;
        RETURN NULL;
    END $$"""


def _postgres_triggers(table: str) -> list[str]:
    return [
        f"""CREATE CONSTRAINT TRIGGER {table}_bumps_experts AFTER INSERT OR UPDATE OR DELETE ON {table}
            DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION roster_bump_experts()""",
        f"""CREATE TRIGGER {table}_truncate_bumps_experts AFTER TRUNCATE ON {table}
            FOR EACH STATEMENT EXECUTE FUNCTION roster_bump_experts()""",
    ]


def _sqlite_triggers(table: str) -> list[str]:
    return [
        f"CREATE TRIGGER {table}_{verb}_bumps_experts AFTER {verb.upper()} ON {table} BEGIN {BUMP}; END"
        for verb in ("insert", "update", "delete")
    ]


def upgrade() -> None:
    op.create_table(
        "data_version",
        sa.Column("name", sa.String(length=24), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.execute(f"INSERT INTO data_version (name, version) VALUES ('{NAME}', 1)")
    if op.get_bind().dialect.name == "postgresql":
        op.execute(POSTGRES_FUNCTION)
        for table in TABLES:
            for statement in _postgres_triggers(table):
                op.execute(statement)
    else:
        for table in TABLES:
            for statement in _sqlite_triggers(table):
                op.execute(statement)


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for table in TABLES:
        if postgres:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_bumps_experts ON {table}")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_truncate_bumps_experts ON {table}")
        else:
            for verb in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_{verb}_bumps_experts")
    if postgres:
        op.execute("DROP FUNCTION IF EXISTS roster_bump_experts()")
    op.drop_table("data_version")
