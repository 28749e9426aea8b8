"""Decided items counted per Shanghai day, so on-time rates and clock-day percentiles over any period read a
few thousand rollup rows however many millions of items the projection holds.

A row counts the items of one (day, thing, district, department, item, clock days): how many were decided,
how many within the promised and the statutory deadline. An item is counted in the same transaction that
first projects it as decided with a known deadline, so retries and replays of the projection, which find it
already counted, never count it twice.
"""

from __future__ import annotations

from datetime import date, datetime

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
) -> None:
    key = (
        finished_at.astimezone(TZ).date(),
        thing,
        district,
        department,
        item,
        -1 if clock_days is None else clock_days,
    )
    row = session.get(ItemOutcomeDay, key, with_for_update=True)
    if row is None:
        row = ItemOutcomeDay(
            day=key[0], thing=thing, district=district, department=department, item=item, clock_days=key[5]
        )
    row.finished += 1
    row.on_time += finished_at <= due_at
    row.on_time_statutory += statutory_due_at is None or finished_at <= statutory_due_at
    session.add(row)
    session.flush()
