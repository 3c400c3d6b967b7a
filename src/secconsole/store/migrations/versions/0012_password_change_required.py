"""``account.password_change_required``: a mobile app prompt was reported as not the owner, so
whoever sent it knew the password; the next sign-in may only change it.

Existing rows start without the requirement: the column is added with a server default of false,
which PostgreSQL then drops (the application always writes the value; SQLite cannot drop a
default without rebuilding the table, so it keeps it). No row is rewritten or lost.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("account", sa.Column("password_change_required", sa.Boolean(), nullable=False,
                                       server_default=sa.false()))
    if op.get_bind().dialect.name == "postgresql":
        op.alter_column("account", "password_change_required", server_default=None)


def downgrade() -> None:
    # Not a batch rebuild: copying and dropping ``account`` would cascade to every table that
    # references it. SQLite drops a column in place since 3.35.
    op.drop_column("account", "password_change_required")
