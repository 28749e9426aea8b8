"""the projection's write order: the workflow's history length beside `seq`

Revision ID: 0011
Revises: 0010
Created: 2026-12-07 04:20:00

`cases.history_length` and `rectifications.history_length`: the history length of the workflow task that wrote the
row (persistence/write_order.py says why `seq` alone lost a write after a worker kill). Existing rows get 0, which
orders them by `seq` alone as before; the next write of a running case stores its length.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("cases", "rectifications")


def upgrade() -> None:
    for table in TABLES:
        op.add_column(table, sa.Column("history_length", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("history_length")
