"""Decided items counted per Shanghai day, so on-time rates and clock-day percentiles over any period read a
few thousand rollup rows however many millions of items the projection holds.

A row counts the items of one (day, thing, district, department, item, clock days, simulated): how many were
decided,
how many within the promised and the statutory deadline. An item is counted in the same transaction that
first projects it as decided with a known deadline, so retries and replays of the projection, which find it
already counted, never count it twice.
"""

from __future__ import annotations

from datetime import date, datetime
from functools import cache

from sqlalchemy import Insert
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Field, Session, SQLModel

from core.calendar import TZ

HANDLED = ("completed", "rejected")
"""Items a department decided; withdrawn and cancelled ones say nothing about its speed."""


class ItemOutcomeDay(SQLModel, table=True):
    __tablename__ = "item_outcomes_daily"

    day: date = Field(primary_key=True)
    thing: str = Field(primary_key=True, max_length=64)
    district: str = Field(primary_key=True, max_length=30)
    department: str = Field(primary_key=True, max_length=64)
    item: str = Field(primary_key=True, max_length=64)
    clock_days: int = Field(primary_key=True)
    """-1 when the item carried no promise to count against (a state from before items did)."""
    simulated: bool = Field(default=False, primary_key=True)
    """Items of cases `onething simulate` made: the board leaves them out unless asked for."""
    finished: int = 0
    on_time: int = 0
    on_time_statutory: int = 0


def count_decided_item(
    session: Session,
    *,
    thing: str,
    district: str,
    department: str,
    item: str,
    finished_at: datetime,
    due_at: datetime,
    statutory_due_at: datetime | None,
    clock_days: int | None,
    simulated: bool = False,
) -> None:
    counts = {
        "finished": 1,
        "on_time": int(finished_at <= due_at),
        "on_time_statutory": int(statutory_due_at is None or finished_at <= statutory_due_at),
    }
    key = {
        "day": finished_at.astimezone(TZ).date(),
        "thing": thing,
        "district": district,
        "department": department,
        "item": item,
        "clock_days": -1 if clock_days is None else clock_days,
        "simulated": simulated,
    }
    session.execute(_upsert(session.get_bind().dialect.name), {**key, **counts})


COUNTS = ("finished", "on_time", "on_time_statutory")
"""Added to the day's row; the other columns are its key."""


@cache
def _upsert(dialect_name: str) -> Insert:
    """One statement that inserts or adds: two items of one day decided at once in two transactions both count (a
    read-then-insert let the second transaction's insert fail on the primary key, seen on PostgreSQL). Built once
    per dialect, its values bound at execution: building it per call was a third of the projection's item time."""
    dialect = postgresql if dialect_name == "postgresql" else sqlite
    table = ItemOutcomeDay.__table__  # type: ignore[attr-defined]  # SQLModel declares it only at runtime
    insert = dialect.insert(table)
    upsert: Insert = insert.on_conflict_do_update(
        index_elements=[column.name for column in table.primary_key.columns],
        set_={name: table.c[name] + insert.excluded[name] for name in COUNTS},
    )
    return upsert
