"""simulated cases: marked, so the leaders' figures and the board can leave them out

Revision ID: 0008
Revises: 0007
Created: 2026-12-06 07:32:55.782725

`cases.simulated`, and `item_outcomes_daily.simulated` in that rollup's key (decided items of simulated cases
counted in rows of their own).

Existing rows: before this revision nothing recorded which cases `onething simulate` made. What identifies them
is who applied: the simulation's applicants are the fictional demo households of `persistence/demo_seed.py`
(`demo-mother-1`…`3`, `demo-father-1`…`3`), which exist only in development and are no citizen. Their cases are
marked simulated, including any a person filed by hand as one of those personas (demo data either way), and their
decided items move to the simulated rows of the rollup. Every other case stays unmarked (counted). From this
revision on, the API `onething simulate` runs marks its cases as it accepts them (settings.simulated).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen here rather than imported: a revision must mean the same thing whatever later code says.
SIMULATION_APPLICANTS = tuple(f"demo-{parent}-{n}" for parent in ("mother", "father") for n in (1, 2, 3))
SHANGHAI = ZoneInfo("Asia/Shanghai")
ROLLUP = "item_outcomes_daily"
KEY = ("day", "thing", "district", "department", "item", "clock_days")
COUNTS = ("finished", "on_time", "on_time_statutory")


def _rollup_columns(with_simulated: bool) -> list[sa.Column]:  # type: ignore[type-arg]
    columns: list[sa.Column] = [  # type: ignore[type-arg]
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("thing", sa.String(length=64), nullable=False),
        sa.Column("district", sa.String(length=30), nullable=False),
        sa.Column("department", sa.String(length=64), nullable=False),
        sa.Column("item", sa.String(length=64), nullable=False),
        sa.Column("clock_days", sa.Integer(), nullable=False),
        *(sa.Column(name, sa.Integer(), nullable=False) for name in COUNTS),
    ]
    if with_simulated:
        columns.append(sa.Column("simulated", sa.Boolean(), nullable=False, server_default=sa.false()))
    return columns


def _replace_rollup(*, with_simulated: bool) -> None:
    """The rollup rebuilt under a new primary key (a key cannot be altered in place on SQLite): a new table,
    the rows copied, the old one dropped and the new one renamed; PostgreSQL's key keeps its name. Going back,
    a key's counted and simulated rows are summed into one."""
    key = (*KEY, "simulated") if with_simulated else KEY
    new = op.create_table(f"{ROLLUP}_new", *_rollup_columns(with_simulated), sa.PrimaryKeyConstraint(*key))
    assert new is not None
    old = sa.table(ROLLUP, *(sa.column(name) for name in (*KEY, *COUNTS, *(() if with_simulated else ("simulated",)))))
    keys = [old.c[name] for name in KEY]
    if with_simulated:
        rows = sa.select(*keys, *(old.c[name] for name in COUNTS), sa.false())
        op.execute(new.insert().from_select([*KEY, *COUNTS, "simulated"], rows))
    else:
        rows = sa.select(*keys, *(sa.func.sum(old.c[name]) for name in COUNTS)).group_by(*keys)
        op.execute(new.insert().from_select([*KEY, *COUNTS], rows))
    op.drop_table(ROLLUP)
    op.rename_table(f"{ROLLUP}_new", ROLLUP)
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"ALTER TABLE {ROLLUP} RENAME CONSTRAINT {ROLLUP}_new_pkey TO {ROLLUP}_pkey")


def upgrade() -> None:
    # A plain ADD COLUMN, not a batch: on SQLite a batch copies the table and loses the expression indexes the
    # statistics read (0001), which SQLite cannot reflect. A NOT NULL column with a constant default is allowed.
    op.add_column("cases", sa.Column("simulated", sa.Boolean(), nullable=False, server_default=sa.false()))
    cases = sa.table("cases", sa.column("owner", sa.String()), sa.column("simulated", sa.Boolean()))
    op.execute(cases.update().where(cases.c.owner.in_(SIMULATION_APPLICANTS)).values(simulated=True))
    _replace_rollup(with_simulated=True)
    _move_simulated_items()


def _utc(value: datetime | None) -> datetime | None:
    # SQLite hands back the naive UTC the projection stored (persistence/tables.py UTCDateTime).
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


def _move_simulated_items() -> None:
    """Each decided item of a marked case, counted as the projection counted it (persistence/outcomes.py), moves
    from its counted row to a simulated one. Only development databases hold such cases: a few rows."""
    bind = op.get_bind()
    items = sa.table(
        "case_items",
        *(sa.column(name, sa.String()) for name in ("case_no", "code", "department", "status")),
        *(sa.column(name, sa.DateTime(timezone=True)) for name in ("finished_at", "due_at", "statutory_due_at")),
        sa.column("clock_days", sa.Integer()),
    )
    cases = sa.table(
        "cases", *(sa.column(name, sa.String()) for name in ("case_no", "thing", "district")), sa.column("simulated")
    )
    rollup = sa.table(ROLLUP, *(sa.column(name) for name in (*KEY, *COUNTS, "simulated")))
    decided = (
        sa.select(items, cases.c.thing, cases.c.district)
        .join(cases, cases.c.case_no == items.c.case_no)
        .where(cases.c.simulated == sa.true(), items.c.status.in_(("completed", "rejected")))
        .where(items.c.due_at.is_not(None), items.c.finished_at.is_not(None))
    )
    for row in bind.execute(decided).mappings().all():
        finished, due, statutory = _utc(row["finished_at"]), _utc(row["due_at"]), _utc(row["statutory_due_at"])
        assert finished is not None
        assert due is not None
        key = {
            "day": finished.astimezone(SHANGHAI).date(),
            "thing": row["thing"],
            "district": row["district"],
            "department": row["department"],
            "item": row["code"],
            "clock_days": -1 if row["clock_days"] is None else row["clock_days"],
        }
        counts = {
            "finished": 1,
            "on_time": int(finished <= due),
            "on_time_statutory": int(statutory is None or finished <= statutory),
        }
        where = [rollup.c[name] == value for name, value in key.items()]
        counted = [*where, rollup.c.simulated == sa.false(), rollup.c.finished >= 1]
        moved = bind.execute(
            rollup.update().where(*counted).values({name: rollup.c[name] - value for name, value in counts.items()})
        )
        if moved.rowcount == 0:
            continue  # never counted (decided before its deadline was known): nothing to move
        if not bind.execute(
            rollup.update()
            .where(*where, rollup.c.simulated == sa.true())
            .values({name: rollup.c[name] + value for name, value in counts.items()})
        ).rowcount:
            bind.execute(rollup.insert().values(**key, **counts, simulated=True))
    bind.execute(rollup.delete().where(rollup.c.simulated == sa.false(), rollup.c.finished <= 0))


def downgrade() -> None:
    _replace_rollup(with_simulated=False)
    op.drop_column("cases", "simulated")  # SQLite 3.35+ drops an unindexed column in place
