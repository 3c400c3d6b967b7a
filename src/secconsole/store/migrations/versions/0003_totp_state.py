"""Authenticator app state: last accepted time step (replay), learned clock drift.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("method_enrollment") as batch:
        batch.add_column(sa.Column("last_used_step", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("drift_steps", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("drift_candidate", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("method_enrollment") as batch:
        batch.drop_column("drift_candidate")
        batch.drop_column("drift_steps")
        batch.drop_column("last_used_step")
