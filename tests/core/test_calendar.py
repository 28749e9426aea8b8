"""Working-day arithmetic, checked against dates computed by hand from the State Council's 2026 schedule.

2026 (as shipped in `holidays` 0.109): New Year Jan 1-3 off, Sun Jan 4 worked; Spring Festival Feb 15-23
off, Sat Feb 14 and Sat Feb 28 worked; Labour Day May 1-5 off, Sat May 9 worked; National Day and
Mid-Autumn: Sep 25-27 and Oct 1-7 off, Sun Sep 20 and Sat Oct 10 worked.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import holidays
import pytest

from core.calendar import (
    TZ,
    add_working_days,
    is_working_day,
    shift_for_pause,
    working_days_between,
    yellow_at,
)


def local(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """A Shanghai wall-clock instant."""
    return datetime(year, month, day, hour, minute, tzinfo=TZ)


def test_package_has_the_2026_make_up_workdays() -> None:
    china = holidays.country_holidays("CN", years=2026)
    assert {d for d in china.weekend_workdays if d.year == 2026} == {
        date(2026, 1, 4),
        date(2026, 2, 14),
        date(2026, 2, 28),
        date(2026, 5, 9),
        date(2026, 9, 20),
        date(2026, 10, 10),
    }


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2026, 10, 1), False),  # National Day, Thursday
        (date(2026, 10, 7), False),  # substituted day off, Wednesday
        (date(2026, 10, 8), True),
        (date(2026, 10, 10), True),  # make-up Saturday
        (date(2026, 10, 11), False),  # Sunday
        (date(2026, 9, 20), True),  # make-up Sunday
        (date(2026, 10, 17), False),  # ordinary Saturday
        (date(2026, 10, 14), True),  # ordinary Wednesday
        (date(2026, 2, 14), True),  # make-up Saturday before Spring Festival
        (date(2026, 2, 23), False),  # substituted day off, Monday
        (date(2026, 2, 28), True),  # make-up Saturday after Spring Festival
        (date(2026, 1, 4), True),  # make-up Sunday after New Year
        (date(2026, 1, 2), False),
    ],
)
def test_is_working_day(day: date, working: bool) -> None:
    assert is_working_day(day) is working


def test_twenty_days_across_golden_week() -> None:
    # Accepted Mon Sep 28 (does not count). 1 Sep 29, 2 Sep 30, Oct 1-7 off, 3 Oct 8, 4 Oct 9,
    # 5 Sat Oct 10 (make-up), 6-10 Oct 12-16, 11-15 Oct 19-23, 16-20 Oct 26-30: ends with Fri Oct 30.
    due = add_working_days(local(2026, 9, 28, 10, 0), 20)
    assert due == datetime(2026, 10, 30, 16, 0, tzinfo=UTC)  # Oct 31 00:00 in Shanghai
    assert due.tzinfo is UTC


def test_make_up_saturday_counts() -> None:
    # 1 Sep 29, 2 Sep 30, 3 Oct 8, 4 Oct 9, 5 Sat Oct 10.
    assert add_working_days(local(2026, 9, 28, 10, 0), 5) == local(2026, 10, 11)
    assert add_working_days(local(2026, 9, 28, 10, 0), 6) == local(2026, 10, 13)


def test_spring_festival() -> None:
    # Accepted Fri Feb 13: 1 Sat Feb 14 (make-up), Feb 15-23 off, 2-5 Feb 24-27, 6 Sat Feb 28, 7 Mon Mar 2.
    start = local(2026, 2, 13, 9, 30)
    assert add_working_days(start, 1) == local(2026, 2, 15)
    assert add_working_days(start, 2) == local(2026, 2, 25)
    assert add_working_days(start, 5) == local(2026, 2, 28)
    assert add_working_days(start, 6) == local(2026, 3, 1)
    assert add_working_days(start, 7) == local(2026, 3, 3)


def test_acceptance_day_never_counts_even_on_a_make_up_saturday() -> None:
    assert add_working_days(local(2026, 2, 14, 8, 0), 1) == local(2026, 2, 25)


def test_across_new_year_uses_both_years() -> None:
    # Accepted Wed Dec 31 2025: Jan 1-3 off, 1 Sun Jan 4 (make-up).
    assert add_working_days(local(2025, 12, 31, 15, 0), 1) == local(2026, 1, 5)


def test_acceptance_day_is_the_shanghai_date_not_the_utc_date() -> None:
    # 15:30 UTC on Sep 29 is 23:30 in Shanghai: day 1 is Sep 30.
    assert add_working_days(datetime(2026, 9, 29, 15, 30, tzinfo=UTC), 1) == local(2026, 10, 1)
    # 16:30 UTC on Sep 29 is already Sep 30 in Shanghai: day 1 is Oct 8.
    assert add_working_days(datetime(2026, 9, 29, 16, 30, tzinfo=UTC), 1) == local(2026, 10, 9)


def test_zero_days_is_the_start_itself() -> None:
    start = local(2026, 10, 3, 12, 0)
    assert add_working_days(start, 0) == datetime(2026, 10, 3, 4, 0, tzinfo=UTC)


def test_bad_arguments() -> None:
    with pytest.raises(ValueError):
        add_working_days(local(2026, 1, 5), -1)
    with pytest.raises(ValueError):
        add_working_days(datetime(2026, 1, 5, 9, 0), 3)
    with pytest.raises(ValueError):
        yellow_at(local(2026, 1, 5), -1)
    with pytest.raises(ValueError):
        shift_for_pause(local(2026, 1, 9), local(2026, 1, 6), local(2026, 1, 5))


def test_working_days_between() -> None:
    start = local(2026, 9, 28, 10, 0)
    assert working_days_between(start, local(2026, 9, 28, 23, 0)) == 0
    # Sep 29, Sep 30 and Oct 8 have ended; Oct 9 has not.
    assert working_days_between(start, local(2026, 10, 9, 12, 0)) == 3
    assert working_days_between(start, local(2026, 10, 10)) == 4
    assert working_days_between(start, local(2026, 10, 11)) == 5
    assert working_days_between(start, local(2026, 9, 1)) == 0


def test_round_trip_over_many_starts() -> None:
    first = local(2025, 12, 1, 0, 0)
    for offset in range(400):
        for hour in (0, 9, 23):
            start = first + timedelta(days=offset, hours=hour, minutes=offset % 60)
            for n in (1, 2, 5, 7, 20, 30):
                due = add_working_days(start, n)
                assert working_days_between(start, due) == n
                assert working_days_between(start, due - timedelta(seconds=1)) == n - 1
                assert due.astimezone(TZ).time().hour == 0
                assert is_working_day((due - timedelta(seconds=1)).astimezone(TZ).date())
                assert yellow_at(due, 1) == due - timedelta(days=1)


def test_shift_for_pause() -> None:
    due = add_working_days(local(2026, 9, 28, 10, 0), 20)  # end of Fri Oct 30
    paused = local(2026, 9, 29, 11, 0)
    # Left after Sep 29: Sep 30, Oct 8, 9, 10, Oct 12-16, 19-23, 26-30 = 19 working days.
    assert working_days_between(paused, due) == 19
    # Resumed Mon Oct 19: 1-4 Oct 20-23, 5-9 Oct 26-30, 10-14 Nov 2-6, 15-19 Nov 9-13.
    assert shift_for_pause(due, paused, local(2026, 10, 19, 9, 0)) == local(2026, 11, 14)


def test_pause_resumed_the_same_day_changes_nothing() -> None:
    due = add_working_days(local(2026, 9, 28, 10, 0), 20)
    assert shift_for_pause(due, local(2026, 9, 29, 11, 0), local(2026, 9, 29, 16, 0)) == due


def test_pause_over_a_holiday_only_costs_working_days() -> None:
    due = add_working_days(local(2026, 9, 28, 10, 0), 20)
    # Paused Thu Oct 1 and resumed Wed Oct 7: no working day passed, nothing moves.
    assert shift_for_pause(due, local(2026, 10, 1, 10, 0), local(2026, 10, 7, 18, 0)) == due


def test_pause_after_the_deadline_keeps_the_breach() -> None:
    due = local(2026, 10, 31)
    assert shift_for_pause(due, local(2026, 11, 2, 9, 0), local(2026, 11, 20, 9, 0)) == due


def test_yellow_at() -> None:
    due = add_working_days(local(2026, 9, 28, 10, 0), 20)  # last working day Fri Oct 30
    assert yellow_at(due, 0) == due
    assert yellow_at(due, 1) == local(2026, 10, 30)
    assert yellow_at(due, 3) == local(2026, 10, 28)
    assert yellow_at(due, 6) == local(2026, 10, 23)  # Oct 30, 29, 28, 27, 26, then Fri Oct 23


def test_yellow_at_across_golden_week() -> None:
    due = add_working_days(local(2026, 9, 28, 10, 0), 5)  # last working day Sat Oct 10 (make-up)
    assert due == local(2026, 10, 11)
    assert yellow_at(due, 1) == local(2026, 10, 10)
    assert yellow_at(due, 2) == local(2026, 10, 9)
    assert yellow_at(due, 4) == local(2026, 9, 30)  # Oct 10, 9, 8, then Sep 30


def test_yellow_at_for_a_deadline_inside_a_day() -> None:
    assert yellow_at(local(2026, 10, 9, 15, 0), 1) == local(2026, 10, 9)
    assert yellow_at(local(2026, 10, 4, 12, 0), 1) == local(2026, 9, 30)
