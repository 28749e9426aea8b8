"""licence expiry and reminder rounds: reminders at several leads before a licence's last valid day

- `licences.expires_at` gets an index: the daily reminder sweep selects licences by it across every wallet.
  Licences issued from now on carry an expiry when their item declares `result_valid_for`; those issued
  before keep none (this revision cannot know which definition version declared what).
- `inbox_messages.round` becomes 64-bit: a licence_expiring notice's round is YYYYMMDD * 1000 + lead days
  (one notice per licence, expiry and lead), beyond 32 bits. A downgrade fails on PostgreSQL while such
  notices exist; delete them first (`DELETE FROM inbox_messages WHERE round > 2147483647`).

Revision ID: 0007
Revises: 0006
Created: 2026-12-06 07:40:12
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("inbox_messages", schema=None) as batch_op:
        batch_op.alter_column("round", existing_type=sa.Integer(), type_=sa.BigInteger(), existing_nullable=False)
    with op.batch_alter_table("licences", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_licences_expires_at"), ["expires_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("licences", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_licences_expires_at"))
    with op.batch_alter_table("inbox_messages", schema=None) as batch_op:
        batch_op.alter_column("round", existing_type=sa.BigInteger(), type_=sa.Integer(), existing_nullable=False)
