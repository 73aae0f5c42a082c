"""typed credentials with expiry

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07

Issue 19: experts hold credentials (pre-deployment training, medical clearance, ...), offers attest them for
their whole team, positions list the types they require. The human-rights screening becomes one credential
type, HR-SCREENING: each expert's `screening_valid_until` moves into a credential row and the column goes
(the API keeps the field, read from and written to that credential). Offers used to count as screened: each
gets an HR-SCREENING attestation through the end of its availability, marked as made by this migration, so a
plan made after the upgrade is the plan made before it. Existing positions require HR-SCREENING only (the rule
as it was); new ones take the defaults of their category (`credential_type.default_for`).
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

SCREENING = "HR-SCREENING"
MIGRATED = "migrated from screening_valid_until (0013)"
OFFERS = "offers counted as screened before 0013"
ALL = ["civilian", "military", "police", "corrections", "justice"]
# code, name, validity in months (None: no limit), required by default of positions of these categories, description
# (as seed_data/credentials.py has them on this day)
TYPES = [
    (
        SCREENING,
        "human-rights screening",
        None,
        ALL,
        "the UN's human-rights screening of personnel: no involvement in violations",
    ),
    ("CPTM", "core pre-deployment training", 60, ALL, "the UN's core pre-deployment training materials, completed"),
    ("MEDICAL", "medical clearance", 24, ALL, ""),
    (
        "SSAFE",
        "hostile-environment training (SSAFE)",
        36,
        ["civilian"],
        "safe and secure approaches in field environments",
    ),
    ("LANGUAGE-TEST", "UN language proficiency test", None, [], ""),
    ("DRIVING-TEST", "UN driving test", 36, ["police"], ""),
    ("FIREARMS-TEST", "firearms proficiency test", 24, ["police"], ""),
]
BUMP = "UPDATE data_version SET version = version + 1 WHERE name = 'experts'"


def _credential_types() -> None:
    table = op.create_table(
        "credential_type",
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=24), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("description", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
        sa.Column("validity_months", sa.Integer(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("default_for", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("code"),
    )
    op.bulk_insert(
        table,
        [
            {"code": c, "name": n, "description": text, "validity_months": v, "active": True, "default_for": d}
            for c, n, v, d, text in TYPES
        ],
    )


def _credentials() -> None:
    op.create_table(
        "credential",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("expert_id", sa.Integer(), nullable=True),
        sa.Column("offer_id", sa.Integer(), nullable=True),
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=24), nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=True),
        sa.Column("expires_on", sa.Date(), nullable=False),
        sa.Column("verified_by", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("verified_on", sa.Date(), nullable=False),
        sa.Column("reminded_for", sa.Date(), nullable=True),
        sa.CheckConstraint("(expert_id IS NULL) <> (offer_id IS NULL)", name="ck_credential_holder"),
        sa.CheckConstraint("issued_on IS NULL OR expires_on >= issued_on", name="ck_credential_dates"),
        sa.ForeignKeyConstraint(["code"], ["credential_type.code"]),
        sa.ForeignKeyConstraint(["expert_id"], ["expert.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["offer_id"], ["offer.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("expert_id", "code", name="uq_credential_expert_code"),
        sa.UniqueConstraint("offer_id", "code", name="uq_credential_offer_code"),
    )
    op.create_index("ix_credential_expires_on", "credential", ["expires_on"])
    op.create_index(op.f("ix_credential_offer_id"), "credential", ["offer_id"])


def _roster_version_triggers() -> None:
    """An expert's answer carries its credentials: a change to them moves the roster's version (0004). Made after
    the screening moved in, which changed no answer."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            """CREATE CONSTRAINT TRIGGER credential_bumps_experts AFTER INSERT OR UPDATE OR DELETE ON credential
            DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION roster_bump_experts()"""
        )
        op.execute(
            """CREATE TRIGGER credential_truncate_bumps_experts AFTER TRUNCATE ON credential
            FOR EACH STATEMENT EXECUTE FUNCTION roster_bump_experts()"""
        )
    else:
        for verb in ("insert", "update", "delete"):
            op.execute(
                f"CREATE TRIGGER credential_{verb}_bumps_experts AFTER {verb.upper()} ON credential BEGIN {BUMP}; END"
            )


def upgrade() -> None:
    _credential_types()
    _credentials()
    bind = op.get_bind()
    bind.execute(
        sa.text(
            "INSERT INTO credential (expert_id, code, expires_on, verified_by, verified_on) "
            "SELECT id, :code, screening_valid_until, :by, CURRENT_DATE FROM expert "
            "WHERE screening_valid_until IS NOT NULL"
        ),
        {"code": SCREENING, "by": MIGRATED},
    )
    bind.execute(
        sa.text(
            "INSERT INTO credential (offer_id, code, expires_on, verified_by, verified_on) "
            "SELECT id, :code, available_to, :by, CURRENT_DATE FROM offer"
        ),
        {"code": SCREENING, "by": OFFERS},
    )
    op.add_column("position", sa.Column("required_credentials", sa.JSON(), nullable=True))
    op.execute(f"""UPDATE position SET required_credentials = '["{SCREENING}"]'""")
    with op.batch_alter_table("position", schema=None) as batch_op:
        batch_op.alter_column("required_credentials", existing_type=sa.JSON(), nullable=False)
    # Both engines drop a plain column in place (SQLite since 3.35): the expert table keeps its triggers
    # and its expression indexes, which a batch rebuild would lose.
    op.execute("ALTER TABLE expert DROP COLUMN screening_valid_until")
    _roster_version_triggers()


def downgrade() -> None:
    op.add_column("expert", sa.Column("screening_valid_until", sa.Date(), nullable=True))
    op.execute(
        "UPDATE expert SET screening_valid_until = (SELECT c.expires_on FROM credential c "
        f"WHERE c.expert_id = expert.id AND c.code = '{SCREENING}')"
    )
    with op.batch_alter_table("position", schema=None) as batch_op:
        batch_op.drop_column("required_credentials")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS credential_bumps_experts ON credential")
        op.execute("DROP TRIGGER IF EXISTS credential_truncate_bumps_experts ON credential")
    op.drop_index(op.f("ix_credential_offer_id"), table_name="credential")
    op.drop_index("ix_credential_expires_on", table_name="credential")
    op.drop_table("credential")
    op.drop_table("credential_type")
