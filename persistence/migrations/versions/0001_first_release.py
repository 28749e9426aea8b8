"""The schema of the first release under Alembic: every table of the projection, as it stood.

Written as frozen table definitions rather than `op.create_table` calls, because this revision also adopts a
database made before Alembic (tables from `create_all`, columns added at start by the former schema_upgrade
module): it creates the tables that are missing and adds the columns and indexes an older release lacked,
with the defaults those releases used. On an empty database that is simply every table.

Revision ID: 0001
Revises:
Created: 2026-12-06
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from persistence.days import shanghai_day

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

METADATA = sa.MetaData()

sa.Table(
    "application_requests",
    METADATA,
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("owner", sa.String(length=128), nullable=False),
    sa.Column("idempotency_key", sa.String(length=128), nullable=False),
    sa.Column("case_no", sa.String(length=40), nullable=False),
    sa.Column("thing", sa.String(length=64), nullable=False),
    sa.Column("request_hash", sa.String(length=64), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint("id"),
    sa.UniqueConstraint("case_no"),
    sa.UniqueConstraint("owner", "idempotency_key"),
)

sa.Table(
    "cases",
    METADATA,
    sa.Column("case_no", sa.String(length=40), nullable=False),
    sa.Column("thing", sa.String(length=64), nullable=False),
    sa.Column("version", sa.Integer(), nullable=False),
    sa.Column("owner", sa.String(length=128), nullable=False),
    sa.Column("district", sa.String(length=30), nullable=False),
    sa.Column("channel", sa.String(length=12), nullable=False),
    sa.Column("status", sa.String(length=24), nullable=False),
    sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("promised_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("forecast_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("light", sa.String(length=8), nullable=True),
    sa.Column("reason", sa.String(), nullable=True),
    sa.Column("seq", sa.Integer(), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint("case_no"),
    sa.Index("ix_cases_accepted_at", "accepted_at"),
    sa.Index("ix_cases_district", "district"),
    sa.Index("ix_cases_finished_thing", "finished_at", "thing"),
    sa.Index("ix_cases_owner", "owner"),
    sa.Index("ix_cases_status", "status"),
    sa.Index("ix_cases_status_thing_light", "status", "thing", "light"),
    sa.Index("ix_cases_thing", "thing"),
)

sa.Table(
    "definition_snapshots",
    METADATA,
    sa.Column("code", sa.String(length=64), nullable=False),
    sa.Column("version", sa.Integer(), nullable=False),
    sa.Column("content", sa.JSON(), nullable=False),
    sa.Column("content_hash", sa.String(length=64), nullable=False),
    sa.Column("first_accepted_at", sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint("code", "version"),
)

sa.Table(
    "department_calls",
    METADATA,
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("department", sa.String(length=64), nullable=False),
    sa.Column("operation", sa.String(length=24), nullable=False),
    sa.Column("outcome", sa.String(length=16), nullable=False),
    sa.Column("latency_ms", sa.Integer(), nullable=False),
    sa.Column("attempt", sa.Integer(), nullable=False),
    sa.Column("called_at", sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint("id"),
    sa.Index("ix_department_calls_runs", "department", "outcome", "called_at"),
    sa.Index("ix_department_calls_window", "called_at", "department", "outcome", "latency_ms", "attempt", "operation"),
)

sa.Table(
    "enterprises",
    METADATA,
    sa.Column("subject", sa.String(length=128), nullable=False),
    sa.Column("credit_code", sa.String(length=18), nullable=False),
    sa.Column("name", sa.String(length=120), nullable=False),
    sa.Column("legal_representative", sa.String(length=60), nullable=False),
    sa.Column("address", sa.String(length=200), nullable=False),
    sa.Column("district", sa.String(length=30), nullable=False),
    sa.Column("registered_capital", sa.String(length=40), nullable=False),
    sa.Column("established_on", sa.Date(), nullable=False),
    sa.Column("demo", sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint("subject"),
    sa.UniqueConstraint("credit_code"),
)

sa.Table(
    "escalations",
    METADATA,
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("case_no", sa.String(length=40), nullable=False),
    sa.Column("item_code", sa.String(length=64), nullable=False),
    sa.Column("department", sa.String(length=64), nullable=False),
    sa.Column("supervisor", sa.String(length=128), nullable=False),
    sa.Column("note", sa.String(length=200), nullable=False),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint("id"),
    sa.Index("ix_escalations_at", "at"),
    sa.Index("ix_escalations_case_no", "case_no"),
    sa.Index("ix_escalations_department", "department"),
)

sa.Table(
    "inbox_messages",
    METADATA,
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("owner", sa.String(length=128), nullable=False),
    sa.Column("case_no", sa.String(length=40), nullable=False),
    sa.Column("kind", sa.String(length=32), nullable=False),
    sa.Column("item_code", sa.String(length=64), nullable=False),
    sa.Column("round", sa.Integer(), nullable=False),
    sa.Column("title_zh", sa.String(), nullable=False),
    sa.Column("title_en", sa.String(), nullable=False),
    sa.Column("body_zh", sa.String(), nullable=False),
    sa.Column("body_en", sa.String(), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint("id"),
    sa.UniqueConstraint("case_no", "kind", "item_code", "round"),
    sa.Index("ix_inbox_messages_created_at", "created_at"),
    sa.Index("ix_inbox_messages_owner", "owner"),
)

sa.Table(
    "item_outcomes_daily",
    METADATA,
    sa.Column("day", sa.Date(), nullable=False),
    sa.Column("thing", sa.String(length=64), nullable=False),
    sa.Column("district", sa.String(length=30), nullable=False),
    sa.Column("department", sa.String(length=64), nullable=False),
    sa.Column("item", sa.String(length=64), nullable=False),
    sa.Column("clock_days", sa.Integer(), nullable=False),
    sa.Column("finished", sa.Integer(), nullable=False),
    sa.Column("on_time", sa.Integer(), nullable=False),
    sa.Column("on_time_statutory", sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint("day", "thing", "district", "department", "item", "clock_days"),
)

sa.Table(
    "licences",
    METADATA,
    sa.Column("id", sa.String(length=32), nullable=False),
    sa.Column("holder", sa.String(length=128), nullable=False),
    sa.Column("kind", sa.String(length=64), nullable=False),
    sa.Column("thing", sa.String(length=64), nullable=True),
    sa.Column("case_no", sa.String(length=40), nullable=True),
    sa.Column("item_code", sa.String(length=64), nullable=True),
    sa.Column("number", sa.String(length=64), nullable=False),
    sa.Column("issuer", sa.String(length=64), nullable=False),
    sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("verification_code", sa.String(length=40), nullable=False),
    sa.PrimaryKeyConstraint("id"),
    sa.UniqueConstraint("thing", "case_no", "item_code"),
    sa.UniqueConstraint("verification_code"),
    sa.Index("ix_licences_case_no", "case_no"),
    sa.Index("ix_licences_holder", "holder"),
    sa.Index("ix_licences_kind", "kind"),
)

sa.Table(
    "material_uploads",
    METADATA,
    sa.Column("case_no", sa.String(length=40), nullable=False),
    sa.Column("material", sa.String(length=64), nullable=False),
    sa.Column("owner", sa.String(length=128), nullable=False),
    sa.Column("content_type", sa.String(length=64), nullable=False),
    sa.Column("size", sa.Integer(), nullable=False),
    sa.Column("sha256", sa.String(length=64), nullable=False),
    sa.Column("data", sa.LargeBinary(), nullable=False),
    sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint("case_no", "material"),
    sa.Index("ix_material_uploads_owner", "owner"),
)

sa.Table(
    "outgoing_messages",
    METADATA,
    sa.Column("key", sa.String(length=200), nullable=False),
    sa.Column("owner", sa.String(length=128), nullable=False),
    sa.Column("case_no", sa.String(length=40), nullable=False),
    sa.Column("channel", sa.String(length=8), nullable=False),
    sa.Column("text", sa.String(), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint("key"),
    sa.Index("ix_outgoing_messages_case_no", "case_no"),
    sa.Index("ix_outgoing_messages_owner", "owner"),
)

sa.Table(
    "ratings",
    METADATA,
    sa.Column("case_no", sa.String(length=40), nullable=False),
    sa.Column("department", sa.String(length=64), nullable=False),
    sa.Column("thing", sa.String(length=64), nullable=False),
    sa.Column("owner", sa.String(length=128), nullable=False),
    sa.Column("score", sa.Integer(), nullable=False),
    sa.Column("comment", sa.String(), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint("case_no", "department"),
    sa.Index("ix_ratings_created_at", "created_at"),
    sa.Index("ix_ratings_owner", "owner"),
    sa.Index("ix_ratings_thing", "thing"),
)

sa.Table(
    "rectifications",
    METADATA,
    sa.Column("id", sa.String(length=160), nullable=False),
    sa.Column("case_no", sa.String(length=40), nullable=False),
    sa.Column("thing", sa.String(length=64), nullable=False),
    sa.Column("department", sa.String(length=64), nullable=False),
    sa.Column("owner", sa.String(length=128), nullable=False),
    sa.Column("score", sa.Integer(), nullable=False),
    sa.Column("comment", sa.String(), nullable=False),
    sa.Column("status", sa.String(length=24), nullable=False),
    sa.Column("light", sa.String(length=8), nullable=False),
    sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("due_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("overdue_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("replies", sa.JSON(), nullable=True),
    sa.Column("contest_note", sa.String(), nullable=True),
    sa.Column("citizen_note", sa.String(), nullable=True),
    sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("seq", sa.Integer(), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint("id"),
    sa.Index("ix_rectifications_case_no", "case_no"),
    sa.Index("ix_rectifications_department", "department"),
    sa.Index("ix_rectifications_due_at", "due_at"),
    sa.Index("ix_rectifications_light", "light"),
    sa.Index("ix_rectifications_owner", "owner"),
    sa.Index("ix_rectifications_status", "status"),
)

sa.Table(
    "residents",
    METADATA,
    sa.Column("subject", sa.String(length=128), nullable=False),
    sa.Column("name", sa.String(length=60), nullable=False),
    sa.Column("id_no", sa.String(length=18), nullable=False),
    sa.Column("birth_date", sa.Date(), nullable=False),
    sa.Column("sex", sa.String(length=8), nullable=False),
    sa.Column("mobile", sa.String(length=20), nullable=False),
    sa.Column("hukou_address", sa.String(length=200), nullable=False),
    sa.Column("province", sa.String(length=30), nullable=False),
    sa.Column("district", sa.String(length=30), nullable=False),
    sa.Column("spouse_subject", sa.String(length=128), nullable=True),
    sa.Column("demo", sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(
        ["spouse_subject"],
        ["residents.subject"],
    ),
    sa.PrimaryKeyConstraint("subject"),
    sa.UniqueConstraint("id_no"),
)

sa.Table(
    "staff_claims",
    METADATA,
    sa.Column("case_no", sa.String(length=40), nullable=False),
    sa.Column("item_code", sa.String(length=64), nullable=False),
    sa.Column("round", sa.Integer(), nullable=False),
    sa.Column("staff", sa.String(length=128), nullable=False),
    sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint("case_no", "item_code", "round"),
)

sa.Table(
    "case_items",
    METADATA,
    sa.Column("case_no", sa.String(length=40), nullable=False),
    sa.Column("code", sa.String(length=64), nullable=False),
    sa.Column("department", sa.String(length=64), nullable=False),
    sa.Column("mode", sa.String(length=24), nullable=False),
    sa.Column("status", sa.String(length=24), nullable=False),
    sa.Column("holder", sa.String(length=24), nullable=True),
    sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("promised_days", sa.Integer(), nullable=True),
    sa.Column("clock_days", sa.Integer(), nullable=True),
    sa.Column("due_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("statutory_due_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("yellow_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("light", sa.String(length=8), nullable=True),
    sa.Column("breached_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("paused_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("round", sa.Integer(), nullable=False),
    sa.Column("receipt_no", sa.String(length=64), nullable=True),
    sa.Column("output", sa.JSON(), nullable=True),
    sa.Column("reason", sa.String(), nullable=True),
    sa.Column("seq", sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(
        ["case_no"],
        ["cases.case_no"],
    ),
    sa.PrimaryKeyConstraint("case_no", "code"),
    sa.Index("ix_case_items_department", "department"),
    sa.Index("ix_case_items_due_at", "due_at"),
    sa.Index("ix_case_items_finished_department", "finished_at", "department"),
    sa.Index("ix_case_items_light", "light"),
    sa.Index("ix_case_items_status", "status"),
    sa.Index("ix_case_items_status_department_light", "status", "department", "light"),
)

# Indexes on the Shanghai-day expressions the statistics group by (persistence/stats.py). shanghai_day compiles
# to each database's own date arithmetic (persistence/days.py), so one revision serves both; autogenerate
# leaves such indexes out (SQLite cannot reflect them), so a later one is written by hand like these.
_cases, _ratings = METADATA.tables["cases"], METADATA.tables["ratings"]
sa.Index(
    "ix_cases_by_accepted_day",
    _cases.c.thing,
    _cases.c.status,
    shanghai_day(_cases.c.accepted_at),
    shanghai_day(_cases.c.finished_at),
)
sa.Index("ix_cases_by_finished_day", _cases.c.thing, _cases.c.status, shanghai_day(_cases.c.finished_at))
sa.Index(
    "ix_ratings_by_day", _ratings.c.department, _ratings.c.thing, shanghai_day(_ratings.c.created_at), _ratings.c.score
)

# Required columns that releases before Alembic added to existing tables, with the value their rows got.
LEGACY_DEFAULTS: dict[tuple[str, str], str] = {
    ("cases", "district"): "''",
    ("cases", "channel"): "'bundle'",
    ("cases", "seq"): "0",
    ("case_items", "round"): "0",
    ("case_items", "seq"): "0",
    ("enterprises", "demo"): "false",
    ("escalations", "note"): "''",
    ("inbox_messages", "item_code"): "''",
    ("inbox_messages", "round"): "0",
    ("item_outcomes_daily", "finished"): "0",
    ("item_outcomes_daily", "on_time"): "0",
    ("item_outcomes_daily", "on_time_statutory"): "0",
    ("ratings", "comment"): "''",
    ("rectifications", "comment"): "''",
    ("rectifications", "seq"): "0",
    ("residents", "demo"): "false",
}


def upgrade() -> None:
    bind = op.get_bind()
    existing = set(sa.inspect(bind).get_table_names())
    for table in METADATA.sorted_tables:
        if table.name in existing:
            _complete(bind, table)
        else:
            table.create(bind)  # with its indexes


def _complete(bind: sa.Connection, table: sa.Table) -> None:
    """A table made by a release before Alembic: add what that release lacked, keep every row."""
    inspector = sa.inspect(bind)
    present = {column["name"] for column in inspector.get_columns(table.name)}
    for column in table.columns:
        if column.name in present:
            continue
        default = LEGACY_DEFAULTS.get((table.name, column.name))
        if not column.nullable and default is None:
            raise RuntimeError(f"cannot add required column {table.name}.{column.name} to existing rows")
        added = sa.Column(column.name, column.type, nullable=column.nullable)
        if default is not None:
            added.server_default = sa.DefaultClause(sa.text(default))
        op.add_column(table.name, added)
    # Expression indexes are not reflected on SQLite (a warning each): IF NOT EXISTS covers them.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Skipped unsupported reflection of expression-based index")
        indexed = {index["name"] for index in inspector.get_indexes(table.name)}
    for index in table.indexes:
        if index.name not in indexed:
            bind.execute(sa.schema.CreateIndex(index, if_not_exists=True))


def downgrade() -> None:
    for table in reversed(METADATA.sorted_tables):
        op.drop_table(table.name)
