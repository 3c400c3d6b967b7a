"""Identity verification: when it happened, and a keyed hash of the record it was checked against.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("account") as batch:
        batch.add_column(sa.Column("identity_verified_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("identity_record", sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("account") as batch:
        batch.drop_column("identity_record")
        batch.drop_column("identity_verified_at")
