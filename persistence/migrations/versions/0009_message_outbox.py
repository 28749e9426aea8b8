"""message outbox: SMS and e-mail queued with the inbox row in the projection's transaction, sent by one sender

Revision ID: 0009
Revises: 0008
Created: 2026-12-06 11:50:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "message_outbox",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("owner", sa.String(length=128), nullable=False),
        sa.Column("case_no", sa.String(length=40), nullable=False),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("leased_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=120), nullable=True),
        sa.PrimaryKeyConstraint("key"),
    )
    with op.batch_alter_table("message_outbox", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_message_outbox_case_no"), ["case_no"], unique=False)
        batch_op.create_index(batch_op.f("ix_message_outbox_due_at"), ["due_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("message_outbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_message_outbox_due_at"))
        batch_op.drop_index(batch_op.f("ix_message_outbox_case_no"))
    op.drop_table("message_outbox")
