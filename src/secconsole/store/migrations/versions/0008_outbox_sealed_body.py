"""Outbox bodies are sealed with the key file: a ``sealed_body`` column.

The migration cannot read the key file (the store knows nothing of it), so it seals nothing:
when the outbox already holds messages it records ``outbox_unsealed`` in ``meta``, and the first
open with the key (``core.delivery.seal_plain_outbox``) seals those bodies, empties the plain
column and removes the mark, in one transaction. No row is lost; downgrading puts sealed bodies
back only as far as a placeholder, since the key is out of reach here too.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

UNSEALED_MARK = "outbox_unsealed"
SEALED_PLACEHOLDER = "(sealed with the key file; upgrade to read it)"


def upgrade() -> None:
    op.add_column("outbox", sa.Column("sealed_body", sa.LargeBinary(), nullable=True))
    conn = op.get_bind()
    if conn.execute(sa.text("SELECT 1 FROM outbox LIMIT 1")).first() is not None:
        conn.execute(sa.text("INSERT INTO meta (key, value) VALUES (:k, '1')"), {"k": UNSEALED_MARK})


def downgrade() -> None:
    conn = op.get_bind()
    conn.execute(sa.text("UPDATE outbox SET body = :p WHERE sealed_body IS NOT NULL"), {"p": SEALED_PLACEHOLDER})
    conn.execute(sa.text("DELETE FROM meta WHERE key = :k"), {"k": UNSEALED_MARK})
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("sealed_body")
