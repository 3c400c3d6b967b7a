"""Text messages: each enrollment's number index, and the codes sent (hashed) with their send state.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sms_state",
        sa.Column("enrollment_id", sa.Integer(), sa.ForeignKey("method_enrollment.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("number_hash", sa.String(64), nullable=False, index=True),
    )
    op.create_table(
        "sms_code",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("account_id", sa.Integer(), sa.ForeignKey("account.id", ondelete="CASCADE"), nullable=False,
                  index=True),
        sa.Column("purpose", sa.String(16), nullable=False),
        sa.Column("number_hash", sa.String(64), nullable=False, index=True),
        sa.Column("source", sa.String(120), nullable=False, server_default="", index=True),
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("created_at", sa.DateTime(), nullable=False, index=True),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("used_at", sa.DateTime(), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("sms_code")
    op.drop_table("sms_state")
