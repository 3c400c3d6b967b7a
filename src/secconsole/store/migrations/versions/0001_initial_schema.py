"""Initial schema: accounts, password history, billing methods, method enrollments,
audit events, throttles and database facts.

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _id() -> sa.Column:
    return sa.Column("id", sa.Integer(), primary_key=True)


def _account_fk(ondelete: str, nullable: bool = False) -> sa.Column:
    return sa.Column(
        "account_id", sa.Integer(), sa.ForeignKey("account.id", ondelete=ondelete), nullable=nullable, index=True
    )


def upgrade() -> None:
    op.create_table(
        "account",
        _id(),
        sa.Column("username", sa.String(32), nullable=False),
        sa.Column("username_key", sa.String(32), nullable=False, unique=True),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("password_changed_at", sa.DateTime(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("last_sign_in_at", sa.DateTime(), nullable=True),
        sa.Column("identity_verified", sa.Boolean(), nullable=False),
        sa.Column("email_fallback_enabled", sa.Boolean(), nullable=False),
        sa.Column("security_question", sa.String(200), nullable=True),
        sa.Column("security_answer_hash", sa.String(255), nullable=True),
        sa.Column("preferred_method", sa.String(16), nullable=True),
    )
    op.create_table(
        "meta",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("value", sa.String(255), nullable=False),
    )
    op.create_table(
        "throttle",
        sa.Column("key", sa.String(160), primary_key=True),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failure_at", sa.DateTime(), nullable=True),
        sa.Column("next_allowed_at", sa.DateTime(), nullable=True),
        sa.Column("locked_at", sa.DateTime(), nullable=True),
    )
    op.create_table(
        "audit_event",
        _id(),
        sa.Column("at", sa.DateTime(), nullable=False, index=True),
        _account_fk("SET NULL", nullable=True),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("source", sa.String(120), nullable=False),
        sa.Column("detail", sa.String(), nullable=False),
        sa.Column("ref", sa.String(16), nullable=False, index=True),
    )
    op.create_table(
        "billing_method",
        _id(),
        _account_fk("CASCADE"),
        sa.Column("holder_name", sa.String(100), nullable=False),
        sa.Column("brand", sa.String(20), nullable=False),
        sa.Column("last4", sa.String(4), nullable=False),
        sa.Column("exp_month", sa.Integer(), nullable=False),
        sa.Column("exp_year", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.create_table(
        "method_enrollment",
        _id(),
        _account_fk("CASCADE"),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("secret", sa.LargeBinary(), nullable=True),
        sa.Column("detail", sa.String(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("enabled_at", sa.DateTime(), nullable=True),
        sa.UniqueConstraint("account_id", "kind", name="uq_method_enrollment_account_kind"),
    )
    op.create_table(
        "password_history",
        _id(),
        _account_fk("CASCADE"),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("retired_at", sa.DateTime(), nullable=False),
    )


def downgrade() -> None:
    for table in ("password_history", "method_enrollment", "billing_method", "audit_event", "throttle", "meta", "account"):
        op.drop_table(table)
