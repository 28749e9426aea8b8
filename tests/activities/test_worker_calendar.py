"""The worker says in its log, when it starts and then daily, that next year's holidays are missing (December on)."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from pathlib import Path

import pytest

from core.calendar import TZ
from core.calendar_year import store_year
from core.clock import FollowingClock
from tests.core.test_calendar_year import GOOD_2027, write
from tests.support.db import settings_for
from worker import check_calendar, watch_calendar

WARNING = "the official holidays and make-up workdays of 2027 are not loaded"


def clock_at(instant: datetime) -> FollowingClock:
    clock = FollowingClock()
    clock.align(instant)
    return clock


def test_the_check_warns_in_december_only_and_not_once_the_year_is_loaded(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = settings_for(tmp_path / "data")
    caplog.set_level(logging.INFO, logger="onething.worker")
    assert check_calendar(settings, clock_at(datetime(2026, 11, 30, 12, tzinfo=TZ))) is None
    assert WARNING not in caplog.text

    assert check_calendar(settings, clock_at(datetime(2026, 12, 6, 9, tzinfo=TZ))) == 2027
    [record] = [r for r in caplog.records if WARNING in r.getMessage()]
    assert record.levelno == logging.WARNING
    assert "onething calendar load FILE" in record.getMessage()

    caplog.clear()
    store_year(settings.calendar_folder, write(tmp_path, "announcement.yaml", GOOD_2027))
    assert check_calendar(settings, clock_at(datetime(2026, 12, 7, 9, tzinfo=TZ))) is None
    assert WARNING not in caplog.text

    (settings.calendar_folder / "2027.yaml").write_text("year: 2027\ndays_off: [soon]\n", encoding="utf-8")
    assert check_calendar(settings, clock_at(datetime(2026, 6, 1, tzinfo=TZ))) is None  # June: no warning due
    [error] = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert "2027.yaml:2: 'soon' is not a day" in error.getMessage()


async def test_the_watch_checks_at_start_and_again_each_period_until_the_worker_stops(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = settings_for(tmp_path / "data")
    caplog.set_level(logging.WARNING, logger="onething.worker")
    stopping = asyncio.Event()
    # A period of a few milliseconds stands for the day: the test waits for checks, it does not sleep a day.
    watch = asyncio.create_task(watch_calendar(settings, clock_at(datetime(2026, 12, 6, tzinfo=TZ)), stopping, 0.01))
    for _ in range(500):
        if sum(WARNING in r.getMessage() for r in caplog.records) >= 2:
            break
        await asyncio.sleep(0.01)
    assert sum(WARNING in r.getMessage() for r in caplog.records) >= 2  # at start, and after a period
    stopping.set()
    await asyncio.wait_for(watch, 5)
