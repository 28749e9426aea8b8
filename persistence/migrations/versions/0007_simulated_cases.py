"""simulated cases: marked, so the leaders' figures and the board's totals can leave them out

Revision ID: 0007
Revises: 0006
Created: 2026-12-06 07:32:55.782725

Existing rows: before this revision nothing recorded which cases `onething simulate` made. What identifies them
is who applied: the simulation's applicants are the fictional demo households of `persistence/demo_seed.py`
(`demo-mother-1`…`3`, `demo-father-1`…`3`), which exist only in development and are no citizen. Their cases are
marked simulated, including any a person filed by hand as one of those personas: demo data either way. Every
other case stays unmarked (counted). From this revision on, `onething simulate` marks its cases as it accepts
them (settings.simulated), whoever the applicant.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen here rather than imported: a revision must mean the same thing whatever later code says.
SIMULATION_APPLICANTS = tuple(f"demo-{parent}-{n}" for parent in ("mother", "father") for n in (1, 2, 3))


def upgrade() -> None:
    # A plain ADD COLUMN, not a batch: on SQLite a batch copies the table and loses the expression indexes the
    # statistics read (0001), which SQLite cannot reflect. A NOT NULL column with a constant default is allowed.
    op.add_column("cases", sa.Column("simulated", sa.Boolean(), nullable=False, server_default=sa.false()))
    cases = sa.table("cases", sa.column("owner", sa.String()), sa.column("simulated", sa.Boolean()))
    op.execute(cases.update().where(cases.c.owner.in_(SIMULATION_APPLICANTS)).values(simulated=True))


def downgrade() -> None:
    op.drop_column("cases", "simulated")  # SQLite 3.35+ drops an unindexed column in place
