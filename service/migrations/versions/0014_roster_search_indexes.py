"""indexes that serve the roster search

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07

Issue 22: a search pages experts in id order, so the index of each list filter leads with the code and then
the expert's id: PostgreSQL reads one skill's holders already in id order and stops at the page's end, where
(code, proficiency) made it walk the whole primary key of expert_skill (5 ms at 20,000 experts for one page).
The level or proficiency rides along, so the filter is answered from the index alone. Names are searched by
any part (`q`): on PostgreSQL a trigram index (pg_trgm) on the lower-cased name answers that; SQLite scans
(a plain index on the same expression stands in its place). The plans are in docs/roster-search.md.
"""

import logging

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

logger = logging.getLogger("alembic.runtime.migration")
# (table, old index, its columns, new index, its columns)
LISTS = [
    (
        "expert_skill",
        "ix_expert_skill_code_proficiency",
        ["code", "proficiency"],
        "ix_expert_skill_code_expert",
        ["code", "expert_id", "proficiency"],
    ),
    (
        "expert_language",
        "ix_expert_language_code_level",
        ["code", "level"],
        "ix_expert_language_code_expert",
        ["code", "expert_id", "level"],
    ),
    ("expert_level", "ix_expert_level_level", ["level"], "ix_expert_level_level_expert", ["level", "expert_id"]),
]
NAME_INDEX = "ix_expert_name_trigram"


def upgrade() -> None:
    for table, old, _, new, columns in LISTS:
        op.create_index(new, table, columns)
        op.drop_index(old, table_name=table)
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        op.execute(f"CREATE INDEX {NAME_INDEX} ON expert (lower(full_name))")
        return
    available = bind.execute(sa.text("SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'")).first()
    if available is None:
        logger.warning("pg_trgm is not installed on this server: searching names by a part of them will scan")
        return
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.execute(f"CREATE INDEX {NAME_INDEX} ON expert USING gin (lower(full_name) gin_trgm_ops)")


def downgrade() -> None:
    op.execute(f"DROP INDEX IF EXISTS {NAME_INDEX}")
    for table, old, columns, new, _ in LISTS:
        op.create_index(old, table, columns)
        op.drop_index(new, table_name=table)
