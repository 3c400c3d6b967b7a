"""Mobile app prompts: paired devices, pairing codes (hashed), prompts with their one decision,
and the nonces of signed device requests.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "push_device",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("account_id", sa.Integer(), sa.ForeignKey("account.id", ondelete="CASCADE"), nullable=False,
                  index=True),
        sa.Column("name", sa.String(60), nullable=False),
        sa.Column("alg", sa.String(16), nullable=False),
        sa.Column("public_key", sa.LargeBinary(), nullable=False),
        sa.Column("notifications", sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("last_used_at", sa.DateTime(), nullable=True),
    )
    op.create_table(
        "push_pairing",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("account_id", sa.Integer(), sa.ForeignKey("account.id", ondelete="CASCADE"), nullable=False,
                  index=True),
        sa.Column("code_hash", sa.String(64), nullable=False, index=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("used_at", sa.DateTime(), nullable=True),
    )
    op.create_table(
        "push_prompt",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("account_id", sa.Integer(), sa.ForeignKey("account.id", ondelete="CASCADE"), nullable=False,
                  index=True),
        sa.Column("purpose", sa.String(16), nullable=False),
        sa.Column("for_what", sa.String(60), nullable=False, server_default=""),
        sa.Column("source", sa.String(120), nullable=False, server_default=""),
        sa.Column("host", sa.String(120), nullable=False, server_default=""),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("offered", sa.String(), nullable=False, server_default="[]"),
        sa.Column("entry", sa.String(8), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False, index=True),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("device_id", sa.String(32), nullable=True),
    )
    op.create_table(
        "push_nonce",
        sa.Column("device_id", sa.String(32), primary_key=True),
        sa.Column("nonce", sa.String(64), primary_key=True),
        sa.Column("at", sa.DateTime(), nullable=False, index=True),
    )


def downgrade() -> None:
    for table in ("push_nonce", "push_prompt", "push_pairing", "push_device"):
        op.drop_table(table)
