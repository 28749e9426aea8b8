"""department callback keys: issued per department, sealed at rest, rotated with an overlap

Revision ID: 0006
Revises: 0005
Created: 2026-12-06 04:17:20.978466
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "department_keys",
        sa.Column("key_id", sa.String(length=40), nullable=False),
        sa.Column("department", sa.String(length=64), nullable=False),
        sa.Column("sealed", sa.String(length=400), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("key_id"),
    )
    with op.batch_alter_table("department_keys", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_department_keys_department"), ["department"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("department_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_department_keys_department"))
    op.drop_table("department_keys")
