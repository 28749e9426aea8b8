"""SLA figures derived from a case's state: the working days an item's clock ran, and the bundle's forecast.

Pure functions on the Chinese working-day calendar, computed once where the projection is written, so
the supervisors' dashboard aggregates stored numbers instead of walking calendars over a million rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from core.calendar import NONE, TZ, Adjustments, add_working_days, is_working_day, working_days_between

_INSTANT = timedelta(microseconds=1)


def clock_days_used(
    promised_days: int, due_at: datetime, finished_at: datetime, adjustments: Adjustments = NONE
) -> int:
    """Working days an item's clock ran from its start to `finished_at`, days paused for 补正 excluded.

    `due_at` is the promised deadline after every pause shift, so the clock's use is what the promise
    granted minus what was left: finishing on the day of the start used 0 days, on the last promised
    day all of them. Past the deadline, every working day from the deadline's day to the finishing
    day (both included) comes on top.
    """
    if finished_at <= due_at:
        return promised_days - working_days_between(finished_at, due_at, adjustments)
    day = _local(due_at).date()
    last = _local(finished_at).date()
    late = 0
    while day <= last:
        if is_working_day(day, adjustments):
            late += 1
        day += timedelta(days=1)
    return promised_days + late


@dataclass(frozen=True)
class PlannedItem:
    """What the forecast needs of an item: its promise, where its clock stands, what it waits for."""

    code: str
    promised_days: int
    depends_on: Sequence[str]
    due_at: datetime | None
    finished_at: datetime | None


def forecast_completion(items: Sequence[PlannedItem], now: datetime, adjustments: Adjustments = NONE) -> datetime:
    """When the last item will be done if every remaining item takes its full promised time.

    Finished items end when they ended; running ones at their (pause-shifted) deadline, or now if that has
    passed; items not started yet begin when the last of their dependencies ends and take their promised
    working days from there. The critical path of those remaining times is the bundle's forecast.
    """
    ends: dict[str, datetime] = {}
    pending = list(items)
    while pending:
        ready = [item for item in pending if all(dep in ends for dep in item.depends_on)]
        if not ready:
            raise ValueError("dependency cycle in the case's items")
        for item in ready:
            ends[item.code] = _expected_end(item, ends, now, adjustments)
        pending = [item for item in pending if item.code not in ends]
    return max(ends.values(), default=now)


def _expected_end(item: PlannedItem, ends: dict[str, datetime], now: datetime, adjustments: Adjustments) -> datetime:
    if item.finished_at is not None:
        return item.finished_at
    if item.due_at is not None:
        return max(item.due_at, now)
    start = max((ends[dep] for dep in item.depends_on), default=now)
    # A dependency due at midnight ends the day before: counting from that instant would skip a day.
    start = max(start - _INSTANT, now) if _is_midnight(start) else max(start, now)
    return add_working_days(start, item.promised_days, adjustments)


def _local(instant: datetime) -> datetime:
    return instant.astimezone(TZ)


def _is_midnight(instant: datetime) -> bool:
    local = _local(instant)
    return local.hour == 0 and local.minute == 0 and local.second == 0 and local.microsecond == 0
