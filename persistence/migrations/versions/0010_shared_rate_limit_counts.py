"""rate-limit counts in the projection: one count per client and window shared by every API process

Revision ID: 0010
Revises: 0009
Created: 2026-12-06 21:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "rate_limit_counts",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("hits", sa.Integer(), nullable=False),
        sa.Column("expires_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    with op.batch_alter_table("rate_limit_counts", schema=None) as batch_op:
        batch_op.create_index("ix_rate_limit_counts_expires_at", ["expires_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("rate_limit_counts", schema=None) as batch_op:
        batch_op.drop_index("ix_rate_limit_counts_expires_at")
    op.drop_table("rate_limit_counts")
