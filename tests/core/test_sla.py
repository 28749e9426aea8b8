"""Clock days and the bundle forecast, against dates worked out by hand on the 2026/27 calendar.

New Year 2027: Friday 1 January is a holiday, the weekend follows; Monday 4 January is a working day.
"""

from __future__ import annotations

from datetime import datetime

from core.calendar import TZ, add_working_days, shift_for_pause
from core.sla import PlannedItem, clock_days_used, forecast_completion


def at(day: str, hour: int = 10) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=TZ)


MONDAY = at("2026-11-30")
DUE_THURSDAY = at("2026-12-03", 0)  # 2 working days from Monday: Tuesday and Wednesday


def test_clock_days_count_the_days_used_of_the_promise() -> None:
    assert add_working_days(MONDAY, 2) == DUE_THURSDAY
    assert clock_days_used(2, DUE_THURSDAY, at("2026-11-30", 15)) == 0  # done the day it started
    assert clock_days_used(2, DUE_THURSDAY, at("2026-12-01", 12)) == 1
    assert clock_days_used(2, DUE_THURSDAY, at("2026-12-02", 23)) == 2  # on the last promised day


def test_late_days_count_every_working_day_up_to_the_finish() -> None:
    assert clock_days_used(2, DUE_THURSDAY, at("2026-12-03", 9)) == 3
    assert clock_days_used(2, DUE_THURSDAY, at("2026-12-07", 9)) == 5  # Thu, Fri, Mon; the weekend is free


def test_holidays_are_not_counted() -> None:
    start = at("2026-12-30")  # Wednesday
    due = add_working_days(start, 2)  # Thursday 31 December and Monday 4 January
    assert due == at("2027-01-05", 0)
    assert clock_days_used(2, due, at("2027-01-04", 16)) == 2
    assert clock_days_used(2, due, at("2027-01-05", 9)) == 3


def test_a_correction_pause_is_not_on_the_clock() -> None:
    # Paused on Tuesday morning with Wednesday still to go, resumed the next Monday: that one day is granted
    # again from the day after the resumption, Tuesday 8 December.
    due = shift_for_pause(DUE_THURSDAY, at("2026-12-01", 9), at("2026-12-07", 9))
    assert due == at("2026-12-09", 0)
    assert clock_days_used(2, due, at("2026-12-07", 15)) == 1  # only Tuesday 1 December so far
    assert clock_days_used(2, due, at("2026-12-08", 15)) == 2


def item(code: str, promised: int, depends_on: tuple[str, ...] = (), **clock: datetime) -> PlannedItem:
    return PlannedItem(code, promised, depends_on, clock.get("due_at"), clock.get("finished_at"))


def test_forecast_is_the_critical_path_of_remaining_promises() -> None:
    planned = [item("a", 2), item("b", 3), item("c", 5, ("a",))]
    # Nothing started: a (2 days) then c (5 days) is longer than b (3 days).
    assert forecast_completion(planned, MONDAY) == add_working_days(MONDAY, 7)
    # a finished on Tuesday: c's five days start then, and the forecast moves a day earlier.
    done_early = [item("a", 2, finished_at=at("2026-12-01", 11)), item("b", 3), item("c", 5, ("a",))]
    assert forecast_completion(done_early, at("2026-12-01", 11)) == add_working_days(MONDAY, 6)


def test_forecast_of_a_running_item_past_its_deadline_starts_now() -> None:
    now = at("2026-12-04", 9)  # a was due Thursday 00:00 and is still running on Friday
    planned = [item("a", 2, due_at=DUE_THURSDAY), item("c", 1, ("a",))]
    assert forecast_completion(planned, now) == add_working_days(now, 1) == at("2026-12-08", 0)
