"""A case's own calendar (`YearsCalendar`): the same days as the package and the operator's files, as plain data.

Dates by hand from the State Council's 2026 schedule, as in test_calendar.py: Golden Week Oct 1-7 off, Sat Oct 10
worked; Spring Festival Feb 15-23 off, Sat Feb 14 and Sat Feb 28 worked.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from core.calendar import (
    NONE,
    TZ,
    Adjustments,
    OutsideCalendarError,
    YearsCalendar,
    add_working_days,
    is_working_day,
    shift_for_pause,
    years_calendar,
    yellow_at,
)
from workflows.contracts import WorkingCalendar

CASE_YEARS = frozenset({2026, 2027})


def local(year: int, month: int, day: int, hour: int = 0) -> datetime:
    return datetime(year, month, day, hour, tzinfo=TZ)


def test_every_day_of_its_years_is_worked_as_the_package_says() -> None:
    days = years_calendar(CASE_YEARS, NONE)
    day = date(2026, 1, 1)
    while day.year < 2028:
        assert days.is_working_day(day) is is_working_day(day), day
        day += timedelta(days=1)


def test_it_keeps_only_what_differs_from_monday_to_friday() -> None:
    days = years_calendar(frozenset({2026}), NONE)
    assert days.workdays == {
        date(2026, 1, 4),
        date(2026, 2, 14),
        date(2026, 2, 28),
        date(2026, 5, 9),
        date(2026, 9, 20),
        date(2026, 10, 10),
    }
    assert all(day.weekday() < 5 for day in days.days_off)
    assert date(2026, 10, 1) in days.days_off  # a Thursday of Golden Week
    assert date(2026, 10, 3) not in days.days_off  # a Saturday: off anyway
    # Two years in a case's input: a few dozen dates, well under a kilobyte.
    carried = WorkingCalendar.of(years_calendar(CASE_YEARS, NONE))
    assert len(carried.model_dump_json()) < 1024


def test_operator_announcements_are_counted() -> None:
    # An announcement the package does not carry: Sat 20 Feb 2027 worked, Mon 15 Mar 2027 off.
    announced = Adjustments(days_off=frozenset({date(2027, 3, 15)}), workdays=frozenset({date(2027, 2, 20)}))
    days = years_calendar(CASE_YEARS, announced)
    assert days.is_working_day(date(2027, 2, 20))
    assert not days.is_working_day(date(2027, 3, 15))
    assert years_calendar(CASE_YEARS, NONE).is_working_day(date(2027, 3, 15))


def test_deadlines_count_the_same_on_it() -> None:
    days = years_calendar(CASE_YEARS, NONE)
    # Accepted Mon Sep 28: 1 Sep 29, 2 Sep 30, Oct 1-7 off, 3 Oct 8, 4 Oct 9, 5 Sat Oct 10 (make-up).
    assert add_working_days(local(2026, 9, 28, 10), 5, days) == local(2026, 10, 11)
    # Accepted Fri Feb 13: 1 Sat Feb 14 (make-up), Feb 15-23 off, 2 Feb 24.
    assert add_working_days(local(2026, 2, 13, 9), 2, days) == local(2026, 2, 25)
    due = add_working_days(local(2026, 9, 28, 10), 20, days)  # end of Fri Oct 30
    assert due == local(2026, 10, 31)
    assert yellow_at(due, 6, days) == local(2026, 10, 23)
    # Paused Sep 29 with 19 working days left, resumed Mon Oct 19: they end with Fri Nov 13.
    assert shift_for_pause(due, local(2026, 9, 29, 11), local(2026, 10, 19, 9), days) == local(2026, 11, 14)


def test_a_count_leaving_its_years_raises_instead_of_guessing() -> None:
    days = years_calendar(frozenset({2026}), NONE)
    # Accepted Mon Dec 28: Tue 29, Wed 30, Thu 31 are in 2026; a fourth day would need 2027's schedule.
    assert add_working_days(local(2026, 12, 28, 10), 3, days) == local(2027, 1, 1)
    with pytest.raises(OutsideCalendarError):
        add_working_days(local(2026, 12, 28, 10), 4, days)


def test_it_travels_as_sorted_lists_and_comes_back_the_same() -> None:
    days = years_calendar(CASE_YEARS, NONE)
    carried = WorkingCalendar.model_validate_json(WorkingCalendar.of(days).model_dump_json())
    assert carried.days_off == sorted(carried.days_off)
    assert carried.days() == days
    assert WorkingCalendar.of(days).model_dump_json() == WorkingCalendar.of(carried.days()).model_dump_json()


def test_a_plain_calendar_needs_no_package() -> None:
    days = YearsCalendar(years=frozenset({2030}), days_off=frozenset({date(2030, 1, 1)}))
    assert not days.is_working_day(date(2030, 1, 1))
    assert days.is_working_day(date(2030, 1, 2))
    assert not days.is_working_day(date(2030, 1, 5))  # a Saturday
