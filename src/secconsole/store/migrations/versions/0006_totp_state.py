"""The authenticator app's state moves out of the shared method_enrollment table into totp_state.

Every existing enrollment keeps its last accepted time step (so old codes stay replays), its
learned clock drift and its pending drift candidate.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_COLUMNS = ("last_used_step", "drift_steps", "drift_candidate")


def upgrade() -> None:
    conn = op.get_bind()
    kept = conn.execute(sa.text(
        "SELECT id, last_used_step, drift_steps, drift_candidate FROM method_enrollment WHERE kind = 'totp'"
    )).all()
    # Drop the columns before totp_state exists: on SQLite the batch operation re-creates
    # method_enrollment, and with foreign keys on, dropping the old copy would cascade into it.
    with op.batch_alter_table("method_enrollment") as batch:
        for column in reversed(_COLUMNS):
            batch.drop_column(column)
    state = op.create_table(
        "totp_state",
        sa.Column("enrollment_id", sa.Integer(), sa.ForeignKey("method_enrollment.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("last_used_step", sa.BigInteger(), nullable=True),
        sa.Column("drift_steps", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("drift_candidate", sa.Integer(), nullable=True),
    )
    if kept:
        op.bulk_insert(state, [
            {"enrollment_id": r.id, "last_used_step": r.last_used_step, "drift_steps": r.drift_steps or 0,
             "drift_candidate": r.drift_candidate}
            for r in kept
        ])


def downgrade() -> None:
    conn = op.get_bind()
    kept = conn.execute(sa.text(
        "SELECT enrollment_id, last_used_step, drift_steps, drift_candidate FROM totp_state"
    )).all()
    op.drop_table("totp_state")
    with op.batch_alter_table("method_enrollment") as batch:
        batch.add_column(sa.Column("last_used_step", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("drift_steps", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("drift_candidate", sa.Integer(), nullable=True))
    for r in kept:
        conn.execute(
            sa.text("UPDATE method_enrollment SET last_used_step = :s, drift_steps = :d, drift_candidate = :c "
                    "WHERE id = :id"),
            {"s": r.last_used_step, "d": r.drift_steps, "c": r.drift_candidate, "id": r.enrollment_id},
        )
