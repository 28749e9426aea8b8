"""Authorisations (代办, 法人授权) and who acted on a case or application for its owner.

Revision ID: 0003
Revises: 0002
Created: 2026-12-06 02:40:19.943695
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "authorisations",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("principal", sa.String(length=128), nullable=False),
        sa.Column("agent", sa.String(length=128), nullable=False),
        sa.Column("things", sa.JSON(), nullable=False),
        sa.Column("case_no", sa.String(length=40), nullable=True),
        sa.Column("valid_from", sa.DateTime(timezone=True), nullable=False),
        sa.Column("valid_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("authorisations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_authorisations_agent"), ["agent"], unique=False)
        batch_op.create_index(batch_op.f("ix_authorisations_principal"), ["principal"], unique=False)

    with op.batch_alter_table("application_requests", schema=None) as batch_op:
        batch_op.add_column(sa.Column("acted_by", sa.String(length=128), nullable=True))

    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("acted_by", sa.String(length=128), nullable=True))
        batch_op.create_index(batch_op.f("ix_cases_acted_by"), ["acted_by"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cases_acted_by"))
        batch_op.drop_column("acted_by")

    with op.batch_alter_table("application_requests", schema=None) as batch_op:
        batch_op.drop_column("acted_by")

    with op.batch_alter_table("authorisations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_authorisations_principal"))
        batch_op.drop_index(batch_op.f("ix_authorisations_agent"))

    op.drop_table("authorisations")
