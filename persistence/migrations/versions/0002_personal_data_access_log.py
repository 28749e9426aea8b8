"""The personal-data access log (PIPL): who read a citizen's data, append-only.

Revision ID: 0002
Revises: 0001
Created: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# On PostgreSQL the database itself refuses to change a row: the code offers insert and query only, and a
# trigger stops anyone else, the table's owner included (REVOKE alone does not bind the owner).
APPEND_ONLY = [
    "REVOKE UPDATE, DELETE, TRUNCATE ON personal_data_reads FROM PUBLIC",
    """CREATE FUNCTION personal_data_reads_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION 'personal_data_reads is append-only';
    END $$""",
    """CREATE TRIGGER personal_data_reads_append_only BEFORE UPDATE OR DELETE ON personal_data_reads
    FOR EACH ROW EXECUTE FUNCTION personal_data_reads_append_only()""",
    """CREATE TRIGGER personal_data_reads_no_truncate BEFORE TRUNCATE ON personal_data_reads
    FOR EACH STATEMENT EXECUTE FUNCTION personal_data_reads_append_only()""",
]


def upgrade() -> None:
    op.create_table(
        "personal_data_reads",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reader", sa.String(length=128), nullable=False),
        sa.Column("role", sa.String(length=24), nullable=False),
        sa.Column("department", sa.String(length=64), nullable=True),
        sa.Column("case_no", sa.String(length=40), nullable=False),
        sa.Column("what", sa.String(length=32), nullable=False),
        sa.Column("purpose", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("personal_data_reads", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_personal_data_reads_at"), ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_personal_data_reads_case_no"), ["case_no"], unique=False)
        batch_op.create_index(batch_op.f("ix_personal_data_reads_reader"), ["reader"], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        for statement in APPEND_ONLY:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS personal_data_reads_no_truncate ON personal_data_reads")
        op.execute("DROP TRIGGER IF EXISTS personal_data_reads_append_only ON personal_data_reads")
        op.execute("DROP FUNCTION IF EXISTS personal_data_reads_append_only()")
    with op.batch_alter_table("personal_data_reads", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_personal_data_reads_reader"))
        batch_op.drop_index(batch_op.f("ix_personal_data_reads_case_no"))
        batch_op.drop_index(batch_op.f("ix_personal_data_reads_at"))
    op.drop_table("personal_data_reads")
