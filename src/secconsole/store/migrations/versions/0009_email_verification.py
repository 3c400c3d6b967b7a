"""Email verification: ``account.email_verified`` and the ``email_verification`` codes.

An account made by sign-up starts unverified and receives no code by email until it proves the
address with one sent there. Every account that exists already was made by an operator (or by an
earlier sign-up that this release trusts as before), so existing rows are verified: the column is
added with a server default of true, which PostgreSQL then drops (the application always writes
the value; SQLite cannot drop a default without rebuilding the table, so it keeps it).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-10
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("account", sa.Column("email_verified", sa.Boolean(), nullable=False, server_default=sa.true()))
    if op.get_bind().dialect.name == "postgresql":
        op.alter_column("account", "email_verified", server_default=None)
    op.create_table(
        "email_verification",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("account_id", sa.Integer(), sa.ForeignKey("account.id", ondelete="CASCADE"), nullable=False,
                  index=True),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("used_at", sa.DateTime(), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("email_verification")
    # Not a batch rebuild: copying and dropping ``account`` would cascade to every table that
    # references it. SQLite drops a column in place since 3.35.
    op.drop_column("account", "email_verified")
