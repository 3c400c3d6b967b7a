"""The authenticator app's drift candidate records the device step it matched.

Learning a clock offset now needs a second, later code at the same offset (issue 11). A
candidate kept from before has no step, so it cannot be told apart from an old code sent twice:
it is dropped (the next two drifted codes are learned afresh). Every enrollment keeps its last
accepted step and its learned offset, so it verifies as before.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("totp_state") as batch:
        batch.add_column(sa.Column("drift_candidate_step", sa.BigInteger(), nullable=True))
    op.execute(sa.text("UPDATE totp_state SET drift_candidate = NULL"))


def downgrade() -> None:
    op.execute(sa.text("UPDATE totp_state SET drift_candidate = NULL"))
    with op.batch_alter_table("totp_state") as batch:
        batch.drop_column("drift_candidate_step")
