"""requests from states

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06

Issue 18 (requests from states): a Member State asks for capacity for its own government, optionally outside a
mission; HQ accepts (`submitted`) or declines (`declined`, with a note) the `proposed` request. Each request
says who asked: the state (none for HQ's own) and the name of who submitted it, taken for existing requests
from the audit trail's entry of their creation (or "HQ" without one). A request or a deployment outside a
mission has no mission; the title is unique per mission (uq_request_mission_title, as before), or per requesting
state outside one (uq_request_state_title).
"""

import importlib.util
from pathlib import Path

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

OLD_STATUSES = ("draft", "submitted", "planning", "partly_filled", "filled", "closed", "stood_down")
NEW_STATUSES = ("proposed", "declined", *OLD_STATUSES)
OUTSIDE = sa.text("mission IS NULL")
DECLINED = (
    "status <> 'declined' OR (requested_by_state IS NOT NULL AND decided_at IS NOT NULL "
    "AND decided_by IS NOT NULL AND decision_note IS NOT NULL AND decision_note <> '')"
)
CREATOR = """
UPDATE capacity_request SET requested_by = coalesce((
    SELECT a.actor_name FROM audit_log a
    WHERE a.entity = 'capacity_request' AND a.action = 'create' AND a.entity_id = CAST(capacity_request.id AS TEXT)
    ORDER BY a.id LIMIT 1
), 'HQ')
"""


def _statuses(values: tuple[str, ...]) -> str:
    return "status IN (" + ", ".join(f"'{v}'" for v in values) + ")"


def _status_triggers_again() -> None:
    """SQLite rebuilt the deployment table, and a rebuilt table has no triggers: 0011's status guard again."""
    if op.get_bind().dialect.name != "sqlite":
        return
    spec = importlib.util.spec_from_file_location(
        "consent_0011", Path(__file__).with_name("0011_deployment_consent.py")
    )
    assert spec is not None and spec.loader is not None
    consent = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(consent)
    consent.drop_status_triggers()
    consent.create_status_triggers()


def upgrade() -> None:
    with op.batch_alter_table("capacity_request", schema=None) as batch_op:
        batch_op.add_column(sa.Column("requested_by_state", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=True))
        batch_op.add_column(
            sa.Column("requested_by", sqlmodel.sql.sqltypes.AutoString(length=120), server_default="HQ", nullable=False)
        )
        batch_op.add_column(sa.Column("decision_note", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True))
        batch_op.add_column(sa.Column("decided_by", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=True))
        batch_op.add_column(sa.Column("decided_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.alter_column("mission", existing_type=sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True)
        batch_op.drop_constraint("ck_requeststatus", type_="check")
        batch_op.create_check_constraint("ck_requeststatus", _statuses(NEW_STATUSES))
        batch_op.create_check_constraint(
            "ck_request_mission_or_state", "mission IS NOT NULL OR requested_by_state IS NOT NULL"
        )
        batch_op.create_check_constraint(
            "ck_request_proposed_by_a_state", "status <> 'proposed' OR requested_by_state IS NOT NULL"
        )
        batch_op.create_check_constraint("ck_request_declined_with_note", DECLINED)
        batch_op.create_foreign_key(
            "fk_capacity_request_requested_by_state_member_state", "member_state", ["requested_by_state"], ["iso3"]
        )
        batch_op.create_index(batch_op.f("ix_capacity_request_requested_by_state"), ["requested_by_state"])
    op.create_index(
        "uq_request_state_title",
        "capacity_request",
        ["requested_by_state", "title"],
        unique=True,
        sqlite_where=OUTSIDE,
        postgresql_where=OUTSIDE,
    )
    op.execute(CREATOR)
    with op.batch_alter_table("deployment", schema=None) as batch_op:
        batch_op.alter_column("mission", existing_type=sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True)
    _status_triggers_again()


def downgrade() -> None:
    op.execute("DELETE FROM capacity_request WHERE mission IS NULL OR status IN ('proposed', 'declined')")
    with op.batch_alter_table("deployment", schema=None) as batch_op:
        batch_op.alter_column("mission", existing_type=sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False)
    _status_triggers_again()
    op.drop_index("uq_request_state_title", table_name="capacity_request")
    with op.batch_alter_table("capacity_request", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_capacity_request_requested_by_state"))
        batch_op.drop_constraint("fk_capacity_request_requested_by_state_member_state", type_="foreignkey")
        batch_op.drop_constraint("ck_request_declined_with_note", type_="check")
        batch_op.drop_constraint("ck_request_proposed_by_a_state", type_="check")
        batch_op.drop_constraint("ck_request_mission_or_state", type_="check")
        batch_op.drop_constraint("ck_requeststatus", type_="check")
        batch_op.create_check_constraint("ck_requeststatus", _statuses(OLD_STATUSES))
        batch_op.alter_column("mission", existing_type=sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False)
        for column in ("decided_at", "decided_by", "decision_note", "requested_by", "requested_by_state"):
            batch_op.drop_column(column)
