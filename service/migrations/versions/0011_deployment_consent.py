"""deployment consent

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06

Issue 18 (selection and consent): approving a Member State's expert or offer makes the deployment
`awaiting_consent` until the state confirms (→ `planned`) or declines (→ `declined`, which frees the seat and
the time as `cancelled` does). The consent columns, check constraints that tie them to the status, and a
trigger on both engines that refuses a status change the state machine does not allow (and an insert that is
not awaiting_consent or planned). The seat index and the double-booking exclusion leave `declined` out.

The trigger is written from ``schemas.enums.DEPLOYMENT_TRANSITIONS`` as it stands at this revision; a later
change of that table needs a migration that writes the trigger again (tests/service/test_consent.py tries
every pair against the database). SQLite drops a table's triggers when a later migration rebuilds it in batch
mode: such a migration must call ``create_status_triggers`` again.
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

from schemas.enums import DEPLOYMENT_FIRST, DEPLOYMENT_TRANSITIONS

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

OLD_STATUSES = ("planned", "deployed", "completed", "cancelled")
NEW_STATUSES = ("awaiting_consent", "planned", "deployed", "completed", "cancelled", "declined")
OLD_LIVE = "status <> 'cancelled'"
NEW_LIVE = "status NOT IN ('cancelled', 'declined')"
CHECKS = {
    "ck_deployment_consent_due": "status <> 'awaiting_consent' OR consent_due_on IS NOT NULL",
    "ck_deployment_consent_open": "status <> 'awaiting_consent' OR consent_decided_at IS NULL",
    "ck_deployment_declined_decided": "status <> 'declined' OR consent_decided_at IS NOT NULL",
    "ck_deployment_consent_decider": "(consent_decided_at IS NULL) = (consent_decided_by IS NULL)",
    "ck_deployment_consent_asked": "consent_decided_at IS NULL OR consent_due_on IS NOT NULL",
}
EXCLUSION = """ALTER TABLE deployment ADD CONSTRAINT ex_deployment_no_double_booking
    EXCLUDE USING gist (supplier_key WITH =, daterange(start_date, end_date, '[]') WITH &&) WHERE ({live})"""
REFUSED = "deployment status change not allowed"


def _quoted(values) -> str:
    return ", ".join(f"'{v}'" for v in sorted(values))


def allowed_change_sql(old: str = "OLD.status", new: str = "NEW.status") -> str:
    """True when the change from ``old`` to ``new`` is one the state machine allows (or no change)."""
    moves = " OR ".join(
        f"({old} = '{source}' AND {new} IN ({_quoted(targets)}))"
        for source, targets in DEPLOYMENT_TRANSITIONS.items()
        if targets
    )
    return f"({new} = {old} OR {moves})"


def create_status_triggers() -> None:
    """The triggers that refuse a status change (or a first status) the state machine does not allow."""
    first = _quoted(DEPLOYMENT_FIRST)
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"""CREATE FUNCTION deployment_status_guard() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF TG_OP = 'INSERT' AND NEW.status NOT IN ({first}) THEN
                    RAISE EXCEPTION '{REFUSED}: a new deployment is awaiting_consent or planned, not %', NEW.status
                        USING ERRCODE = 'check_violation';
                END IF;
                IF TG_OP = 'UPDATE' AND NOT {allowed_change_sql()} THEN
                    RAISE EXCEPTION '{REFUSED}: % to %', OLD.status, NEW.status USING ERRCODE = 'check_violation';
                END IF;
                RETURN NEW;
            END $$""")
        op.execute("""CREATE TRIGGER deployment_status_guard BEFORE INSERT OR UPDATE OF status ON deployment
            FOR EACH ROW EXECUTE FUNCTION deployment_status_guard()""")
    else:
        op.execute(f"""CREATE TRIGGER deployment_status_first BEFORE INSERT ON deployment
            FOR EACH ROW WHEN NEW.status NOT IN ({first})
            BEGIN SELECT RAISE(ABORT, '{REFUSED}: a new deployment is awaiting_consent or planned'); END""")
        op.execute(f"""CREATE TRIGGER deployment_status_guard BEFORE UPDATE OF status ON deployment
            FOR EACH ROW WHEN NOT {allowed_change_sql()}
            BEGIN SELECT RAISE(ABORT, '{REFUSED}'); END""")


def drop_status_triggers() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS deployment_status_guard ON deployment")
        op.execute("DROP FUNCTION IF EXISTS deployment_status_guard()")
    else:
        op.execute("DROP TRIGGER IF EXISTS deployment_status_first")
        op.execute("DROP TRIGGER IF EXISTS deployment_status_guard")


def _status(values) -> sa.Enum:
    return sa.Enum(*values, name="ck_deploymentstatus", native_enum=False, create_constraint=True, length=24)


def _live_seat(batch_op, where: str) -> None:
    batch_op.create_index(
        "uq_deployment_live_seat",
        ["position_id", "seat"],
        unique=True,
        sqlite_where=sa.text(where),
        postgresql_where=sa.text(where),
    )


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:
        op.execute("ALTER TABLE deployment DROP CONSTRAINT ex_deployment_no_double_booking")
        op.execute("ALTER TABLE deployment DROP CONSTRAINT ck_deploymentstatus")
    with op.batch_alter_table("deployment", schema=None) as batch_op:
        batch_op.drop_index("uq_deployment_live_seat")
    with op.batch_alter_table("deployment", schema=None, recreate="auto" if postgres else "always") as batch_op:
        batch_op.add_column(sa.Column("consent_due_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("consent_decided_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.add_column(
            sa.Column("consent_decided_by", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=True)
        )
        batch_op.add_column(sa.Column("consent_note", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True))
        if not postgres:
            batch_op.alter_column("status", existing_type=_status(OLD_STATUSES), type_=_status(NEW_STATUSES))
        batch_op.create_index(batch_op.f("ix_deployment_consent_due_on"), ["consent_due_on"], unique=False)
        for name, sql in CHECKS.items():
            batch_op.create_check_constraint(name, sql)
    with op.batch_alter_table("deployment", schema=None) as batch_op:
        _live_seat(batch_op, NEW_LIVE)
    if postgres:
        op.execute(
            f"ALTER TABLE deployment ADD CONSTRAINT ck_deploymentstatus CHECK (status IN ({_quoted(NEW_STATUSES)}))"
        )
        op.execute(EXCLUSION.format(live=NEW_LIVE))
    create_status_triggers()


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    drop_status_triggers()
    op.execute("UPDATE deployment SET status = 'cancelled' WHERE status = 'declined'")
    op.execute("UPDATE deployment SET status = 'planned' WHERE status = 'awaiting_consent'")
    if postgres:
        op.execute("ALTER TABLE deployment DROP CONSTRAINT ex_deployment_no_double_booking")
        op.execute("ALTER TABLE deployment DROP CONSTRAINT ck_deploymentstatus")
    with op.batch_alter_table("deployment", schema=None) as batch_op:
        batch_op.drop_index("uq_deployment_live_seat")
    with op.batch_alter_table("deployment", schema=None, recreate="auto" if postgres else "always") as batch_op:
        for name in CHECKS:
            batch_op.drop_constraint(name, type_="check")
        batch_op.drop_index(batch_op.f("ix_deployment_consent_due_on"))
        if not postgres:
            batch_op.alter_column("status", existing_type=_status(NEW_STATUSES), type_=_status(OLD_STATUSES))
        batch_op.drop_column("consent_note")
        batch_op.drop_column("consent_decided_by")
        batch_op.drop_column("consent_decided_at")
        batch_op.drop_column("consent_due_on")
    with op.batch_alter_table("deployment", schema=None) as batch_op:
        _live_seat(batch_op, OLD_LIVE)
    if postgres:
        op.execute(
            f"ALTER TABLE deployment ADD CONSTRAINT ck_deploymentstatus CHECK (status IN ({_quoted(OLD_STATUSES)}))"
        )
        op.execute(EXCLUSION.format(live=OLD_LIVE))
