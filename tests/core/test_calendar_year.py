"""The day people read as a deadline, and a year's 调休 schedule as operator data: checked, stored, counted, missed.

2027 is the year the installed `holidays` package (0.109) does not carry yet (no make-up workdays), 2026 one it does.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from core.calendar import TZ, add_working_days, is_working_day, last_day_on_time
from core.calendar_year import CalendarFileError, calendar_for, next_year_missing, parse_year, store_year
from tests.support.db import settings_for

GOOD_2027 = """\
# 国务院办公厅关于2027年部分节假日安排的通知 (a made-up schedule: the real one is not out yet)
year: 2027
source: test announcement
days_off:
  - 2027-01-01
  - 2027-02-05..2027-02-11
workdays:
  - 2027-02-13   # Saturday after the Spring Festival
"""


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_sunday_acceptance_with_one_working_day_is_due_on_monday() -> None:
    sunday = datetime(2026, 11, 15, 10, 30, tzinfo=TZ)
    deadline = add_working_days(sunday, 1)
    assert deadline == datetime(2026, 11, 17, tzinfo=TZ)  # the instant: 00:00 Tuesday ends Monday
    assert last_day_on_time(deadline) == date(2026, 11, 16)


def test_the_last_day_before_a_holiday_is_the_working_day_before_it() -> None:
    # Accepted Tuesday 2026-09-29 with 2 working days: Wed 30 Sep, then National Day (1-7 Oct off), then Thu 8 Oct.
    deadline = add_working_days(datetime(2026, 9, 29, 9, tzinfo=TZ), 2)
    assert last_day_on_time(deadline) == date(2026, 10, 8)
    assert is_working_day(last_day_on_time(deadline))


def test_an_immediate_limit_is_on_time_during_its_own_day_and_naive_instants_are_refused() -> None:
    accepted = datetime(2026, 11, 16, 23, 30, tzinfo=TZ)  # 15:30 UTC: the UTC day is the same, the point is TZ
    assert last_day_on_time(add_working_days(accepted, 0)) == date(2026, 11, 16)
    assert last_day_on_time(datetime(2026, 11, 16, 17, 0, tzinfo=UTC)) == date(2026, 11, 17)  # 01:00 in Shanghai
    with pytest.raises(ValueError, match="timezone-aware"):
        last_day_on_time(datetime(2026, 11, 17))


def test_a_good_file_reads_with_its_runs_of_days_yaml_or_json() -> None:
    schedule, problems = parse_year(GOOD_2027, "2027.yaml")
    assert problems == []
    assert schedule is not None
    assert (schedule.year, schedule.source) == (2027, "test announcement")
    assert len(schedule.days_off) == 8
    assert date(2027, 2, 8) in schedule.days_off
    assert schedule.workdays == {date(2027, 2, 13)}
    json_text = '{"year": 2027,\n "days_off": ["2027-01-01"],\n "workdays": ["2027-02-13"]}'
    from_json, problems = parse_year(json_text, "2027.json")
    assert problems == []
    assert from_json is not None
    assert from_json.workdays == {date(2027, 2, 13)}


def test_every_mistake_is_named_with_its_line_and_fix() -> None:
    text = """\
year: 2027
days_off:
  - 2027-01-01
  - 2026-12-31
  - 2027-02-30
  - 2027-01-01
workdays:
  - 2027-02-08
  - 2027-01-01
colour: red
"""
    schedule, problems = parse_year(text, "cal.yaml")
    assert schedule is None
    assert [str(p).split(" — ")[0] for p in problems] == [
        "cal.yaml:4: 2026-12-31 is not in 2027",
        "cal.yaml:5: '2027-02-30' is not a day",
        "cal.yaml:6: 2027-01-01 is listed twice in days_off (first at line 3)",
        "cal.yaml:8: 2027-02-08 is a Monday, a working day anyway",
        "cal.yaml:9: 2027-01-01 is both a day off and a workday",
        "cal.yaml:10: unknown key 'colour'",
    ]
    assert all(" — fix: " in str(p) for p in problems)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("year: 2027\ndays_off: [2027-01-01\n", "f.yaml:3: not valid YAML or JSON"),
        ("- 2027-01-01\n", "f.yaml:1: the file must be a mapping"),
        ("days_off: [2027-01-01]\n", "f.yaml:1: year is missing"),
        ("year: next\ndays_off: [2027-01-01]\n", "f.yaml:1: year must be a number"),
        ("year: 2027\nworkdays: [2027-02-13]\n", "f.yaml:1: days_off is missing"),
        ("year: 2027\ndays_off: []\n", "f.yaml:2: days_off is missing or empty"),
        ("year: 2027\ndays_off: 2027-01-01\n", "f.yaml:2: days_off must be a list of days"),
    ],
)
def test_a_file_that_is_not_a_schedule_is_refused_on_its_line(text: str, expected: str) -> None:
    schedule, problems = parse_year(text, "f.yaml")
    assert schedule is None
    assert str(problems[0]).startswith(expected), problems


def test_a_stored_year_counts_at_once_and_a_bad_file_stores_nothing(tmp_path: Path) -> None:
    settings = settings_for(tmp_path / "data")
    saturday = date(2027, 2, 13)
    assert not is_working_day(saturday, calendar_for(settings))

    bad = write(tmp_path, "bad.yaml", GOOD_2027.replace("2027-02-13", "2027-02-15"))  # a Monday
    with pytest.raises(CalendarFileError, match=r"bad\.yaml:8: 2027-02-15 is a Monday"):
        store_year(settings.calendar_folder, bad)
    assert not settings.calendar_folder.exists() or not list(settings.calendar_folder.iterdir())

    store_year(settings.calendar_folder, write(tmp_path, "announcement.yaml", GOOD_2027))
    adjustments = calendar_for(settings)  # the same process: read again because the folder changed
    assert is_working_day(saturday, adjustments)
    assert not is_working_day(date(2027, 2, 11), adjustments)  # a Thursday off in the announcement
    assert (settings.calendar_folder / "2027.yaml").read_text(encoding="utf-8") == GOOD_2027


def test_next_year_is_missed_from_december_until_it_is_loaded(tmp_path: Path) -> None:
    folder = tmp_path / "calendar"
    november = datetime(2026, 11, 30, 23, 0, tzinfo=TZ)
    december = datetime(2026, 11, 30, 16, 0, tzinfo=UTC)  # 00:00 on 1 December in Shanghai
    assert next_year_missing(folder, november) is None
    assert next_year_missing(folder, december) == 2027
    store_year(folder, write(tmp_path, "2027-announcement.yaml", GOOD_2027))
    assert next_year_missing(folder, december) is None
    (folder / "2027.yaml").write_text("year: 2027\ndays_off: [not a day]\n", encoding="utf-8")  # edited by hand
    assert next_year_missing(folder, december) == 2027
    # December 2025: the installed package already carries 2026, nothing to load.
    assert next_year_missing(tmp_path / "empty", datetime(2025, 12, 10, tzinfo=TZ)) is None
