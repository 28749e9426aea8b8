"""Working days on the Chinese calendar, for statutory and promised time limits (法定时限 / 承诺时限).

Pure, deterministic functions (no I/O, no clock). Days are calendar days in Asia/Shanghai; results are aware
UTC datetimes; every datetime argument must be timezone-aware. Which days are worked comes from a `WorkingDays`:
`Adjustments` consults the installed `holidays` package (pages, statistics, the calendar activity of older
cases), a `YearsCalendar` only the days it carries, so a workflow can count with it (deterministic: the case
got it in its input at acceptance, workflows/deadlines.py).

A day is a working day when it is a weekday that is not a statutory day off (including the substituted
days off of a 调休 schedule), or when it is a make-up working Saturday/Sunday of that schedule. The
schedule comes from the `holidays` package (`holidays.China`): for years the State Council has not yet
published, the package only knows the statutory festivals and there are no make-up workdays. Upgrading
the package can change results for such years, which is why a case's deadlines are counted on a
`YearsCalendar` fixed at its acceptance (or, for older cases, once in an activity).

Time limit rules (the usual legal reading of 行政许可法 and local regulations):
- the day of acceptance does not count: a limit of N working days counts from the next working day;
- a limit ends at the end of its Nth working day, i.e. at 00:00 Asia/Shanghai of the following calendar day.

People never read that instant: it is the midnight that *ends* the last day on time, so its calendar day is
one day late. Every page, message, CSV and JSON meant for people shows `last_day_on_time(deadline)`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from pathlib import Path
from typing import Protocol
from zoneinfo import ZoneInfo

import holidays
import yaml

TZ = ZoneInfo("Asia/Shanghai")
_ONE_DAY = timedelta(days=1)


@dataclass(frozen=True)
class Adjustments:
    """Official 调休 announcements the `holidays` package does not carry yet.

    The State Council publishes next year's schedule in November or December; operators add it here
    (a YAML file named by ONETHING_CALENDAR_ADJUSTMENTS) instead of waiting for a package release.
    """

    days_off: frozenset[date] = frozenset()
    workdays: frozenset[date] = frozenset()

    @classmethod
    def from_file(cls, path: Path) -> Adjustments:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        unknown = set(raw) - {"days_off", "workdays"}
        if unknown:
            raise ValueError(f"{path}: unknown keys {sorted(unknown)}; allowed: days_off, workdays")
        return cls(
            days_off=frozenset(_as_date(value) for value in raw.get("days_off") or []),
            workdays=frozenset(_as_date(value) for value in raw.get("workdays") or []),
        )

    def is_working_day(self, day: date) -> bool:
        """These announcements first, then the installed `holidays` package's schedule of the day's year."""
        if day in self.workdays:
            return True
        if day in self.days_off:
            return False
        days_off, workdays = _year_schedule(day.year)
        if day in workdays:
            return True
        return day.weekday() < 5 and day not in days_off


class WorkingDays(Protocol):
    """Which days are worked: every counting function below takes one."""

    def is_working_day(self, day: date) -> bool: ...


class OutsideCalendarError(LookupError):
    """A count reached a day of a year a `YearsCalendar` does not carry."""


@dataclass(frozen=True)
class YearsCalendar:
    """The complete working-day schedule of a few whole years, as plain data: no package is consulted.

    `days_off` are the weekdays not worked (public holidays, substituted days off), `workdays` the Saturdays
    and Sundays worked (调休上班); every other day is worked from Monday to Friday. A day of another year raises
    `OutsideCalendarError` rather than guess. Built by `years_calendar`; a case carries one in its input.
    """

    years: frozenset[int]
    days_off: frozenset[date] = frozenset()
    workdays: frozenset[date] = frozenset()

    def is_working_day(self, day: date) -> bool:
        if day.year not in self.years:
            raise OutsideCalendarError(f"the calendar carries {sorted(self.years)}, not {day.year}")
        if day in self.workdays:
            return True
        return day.weekday() < 5 and day not in self.days_off


@cache
def years_calendar(years: frozenset[int], adjustments: Adjustments) -> YearsCalendar:
    """`years` as `adjustments` and the installed `holidays` package count them, reduced to what differs from
    Monday-to-Friday: a year is ~15 weekdays off and ~6 make-up weekend days, a few hundred bytes."""
    days_off: set[date] = set()
    workdays: set[date] = set()
    for year in years:
        day = date(year, 1, 1)
        while day.year == year:
            worked = adjustments.is_working_day(day)
            if day.weekday() < 5 and not worked:
                days_off.add(day)
            elif day.weekday() >= 5 and worked:
                workdays.add(day)
            day += _ONE_DAY
    return YearsCalendar(years=years, days_off=frozenset(days_off), workdays=frozenset(workdays))


NONE = Adjustments()

CalendarSource = Callable[[], Adjustments]
"""Where the calendar activity reads the announcements each time it counts days: a year loaded while a worker
runs (`onething calendar load`) counts from its next count on, without a restart. Only cases that carry no
calendar of their own ask the activity (docs/calendar.md)."""


def fixed(adjustments: Adjustments) -> CalendarSource:
    return lambda: adjustments


@cache
def adjustments_from(path: Path | None) -> Adjustments:
    """The announcements in ONETHING_CALENDAR_ADJUSTMENTS (none without a file), read once per process, so the
    worker's deadlines and the leaders' working days count the same days."""
    return Adjustments.from_file(path) if path else NONE


def last_day_on_time(deadline: datetime) -> date:
    """The last day (Asia/Shanghai) on which work due by `deadline` is on time: what a person reads as the deadline.

    A deadline from `add_working_days` or `shift_for_pause` is 00:00 of the day after its last working day, so
    this is that working day (a Sunday acceptance with 1 working day: Monday, not Tuesday). A deadline at any
    other instant (a limit of 0 days, handled at once) is on time during its own day.
    """
    if deadline.tzinfo is None or deadline.utcoffset() is None:
        raise ValueError("calendar functions take timezone-aware datetimes only")
    return (deadline.astimezone(TZ) - timedelta(microseconds=1)).date()


def day_on_time(deadline: datetime | None) -> date | None:
    """`last_day_on_time` of a deadline that may not be set (an item not started, a 0-day limit not computed)."""
    return last_day_on_time(deadline) if deadline is not None else None


def _as_date(value: object) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def package_schedule(year: int) -> tuple[frozenset[date], frozenset[date]]:
    """(days off, make-up workdays) of `year` as the installed `holidays` package has them."""
    return _year_schedule(year)


def warm_up(years: Iterable[int]) -> None:
    """Builds these years' package schedules now (~0.5 s each), so that no request pays for it: each API
    process calls it in the thread pool as it starts (the cache below is per process)."""
    for year in years:
        _year_schedule(year)


@cache
def _year_schedule(year: int) -> tuple[frozenset[date], frozenset[date]]:
    """(days off, make-up workdays) of one year; building a `holidays.China` takes ~0.5 s, so cache it."""
    china = holidays.country_holidays("CN", years=year)  # = holidays.China, typed as HolidayBase
    days_off = frozenset(day for day in china if day.year == year)
    # weekend_workdays is not filtered by `years`: it also carries a few historic dates.
    workdays = frozenset(day for day in china.weekend_workdays if day.year == year)
    return days_off, workdays


def published_by_package(year: int) -> bool:
    """Whether the installed `holidays` package carries `year`'s 调休 schedule (it has make-up workdays then;
    for a year not yet published it knows only the statutory festivals)."""
    return bool(_year_schedule(year)[1])


def is_working_day(day: date, adjustments: WorkingDays = NONE) -> bool:
    """A weekday that is not a day off, or a make-up working Saturday/Sunday (调休上班)."""
    return adjustments.is_working_day(day)


def local_today(now: datetime) -> date:
    """The citizen's day at `now`: a form's date limits (not in the future, an age, days ahead) are judged on it."""
    return _local_date(now)


def _local_date(instant: datetime) -> date:
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError("calendar functions take timezone-aware datetimes only")
    return instant.astimezone(TZ).date()


def _day_start(day: date) -> datetime:
    """00:00 Asia/Shanghai of `day`, as UTC."""
    return datetime.combine(day, time(0), tzinfo=TZ).astimezone(UTC)


def add_working_days(start: datetime, days: int, adjustments: WorkingDays = NONE) -> datetime:
    """The deadline of a limit of `days` working days accepted at `start`.

    The day of acceptance (`start`'s Shanghai date) does not count, even if it is a working day and the
    case came in at 08:00: the count starts on the next working day. The deadline is the end of the
    `days`-th working day after that date, i.e. 00:00 Asia/Shanghai of the next calendar day, in UTC.
    `days == 0` (immediate handling, 即办) returns `start` itself, in UTC.
    """
    if days < 0:
        raise ValueError("days must be >= 0")
    day = _local_date(start)
    if days == 0:
        return start.astimezone(UTC)
    counted = 0
    while counted < days:
        day += _ONE_DAY
        if is_working_day(day, adjustments):
            counted += 1
    return _day_start(day + _ONE_DAY)


def working_days_between(start: datetime, end: datetime, adjustments: WorkingDays = NONE) -> int:
    """Whole working days from `start` to `end`: working days after `start`'s date that end by `end`.

    As in add_working_days, `start`'s own date never counts, and a working day counts only once it has
    ended (its following midnight is at or before `end`). So
    `working_days_between(s, add_working_days(s, n)) == n`. Returns 0 when `end <= start`.
    """
    day = _local_date(start)
    _local_date(end)  # validates awareness
    count = 0
    while _day_start(day + 2 * _ONE_DAY) <= end:
        day += _ONE_DAY
        if is_working_day(day, adjustments):
            count += 1
    return count


def shift_for_pause(
    due_at: datetime, paused_at: datetime, resumed_at: datetime, adjustments: WorkingDays = NONE
) -> datetime:
    """The deadline after the clock stopped from `paused_at` to `resumed_at` (waiting for 补正).

    Rule: remaining = working_days_between(paused_at, due_at), i.e. the whole working days still left
    after the day of the pause; the new deadline is add_working_days(resumed_at, remaining), i.e. they are
    granted again from the day after resumption; it is never earlier than `due_at`. A pause that starts
    at or after the deadline changes nothing: a breach that already happened is not undone.
    """
    if resumed_at < paused_at:
        raise ValueError("resumed_at is before paused_at")
    if paused_at >= due_at:
        return due_at.astimezone(UTC)
    remaining = working_days_between(paused_at, due_at, adjustments)
    return max(due_at.astimezone(UTC), add_working_days(resumed_at, remaining, adjustments))


def yellow_at(due_at: datetime, before_days: int, adjustments: WorkingDays = NONE) -> datetime:
    """The instant an item turns yellow, `before_days` working days ahead of its deadline.

    The deadline's last working day is the latest working day that starts before `due_at` (for a deadline
    from add_working_days, its Nth working day). The result is 00:00 Asia/Shanghai (in UTC) of the
    `before_days`-th working day counting back from that day, which is itself number 1: `before_days=1`
    turns yellow at the start of the last working day. `before_days=0` returns `due_at` itself. The result
    may lie before the acceptance when the limit is shorter than `before_days`: yellow from the start.
    """
    if before_days < 0:
        raise ValueError("before_days must be >= 0")
    if before_days == 0:
        return due_at.astimezone(UTC)
    day = _local_date(due_at)
    if _day_start(day) == due_at:
        day -= _ONE_DAY  # a deadline at midnight ends the previous day
    counted = 0
    while True:
        if is_working_day(day, adjustments):
            counted += 1
            if counted == before_days:
                return _day_start(day)
        day -= _ONE_DAY
