"""`onething calendar load` and `show`, as an operator runs them with the announcement of next year."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.main import app
from core.calendar import is_working_day
from core.calendar_year import calendar_for
from core.settings import Settings, get_settings
from tests.core.test_calendar_year import GOOD_2027, write


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    monkeypatch.setenv("ONETHING_CALENDAR_DIR", str(tmp_path / "calendar"))
    get_settings.cache_clear()
    yield get_settings()
    get_settings.cache_clear()


def test_a_bad_file_is_refused_naming_its_line_and_nothing_is_stored(settings: Settings, tmp_path: Path) -> None:
    bad = write(tmp_path, "2027.yaml", GOOD_2027.replace("  - 2027-02-13", "  - 2027-02-31"))
    result = CliRunner().invoke(app, ["calendar", "load", str(bad)])
    assert result.exit_code == 1
    assert f"{bad}:8: '2027-02-31' is not a day — fix: write YYYY-MM-DD" in result.output
    assert f"{bad}: not loaded (1 error(s))" in result.output
    assert not settings.calendar_folder.exists()


def test_a_loaded_year_is_counted_and_shown(settings: Settings, tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["calendar", "load", str(write(tmp_path, "announcement.yaml", GOOD_2027))])
    assert result.exit_code == 0, result.output
    assert "loaded 2027: 8 days off, 1 make-up workdays" in result.output
    assert is_working_day(date(2027, 2, 13), calendar_for(settings))

    shown = CliRunner().invoke(app, ["calendar", "show", "2027"])
    assert shown.exit_code == 0, shown.output
    assert "2027: loaded from" in shown.output
    assert "days off (8): 2027-01-01, 2027-02-05..2027-02-11" in shown.output
    assert "make-up workdays (1): 2027-02-13 (Sat)" in shown.output
    listed = CliRunner().invoke(app, ["calendar", "show"])
    assert "2027  8 days off, 1 make-up workdays  test announcement" in listed.output


def test_show_says_when_a_year_is_known_only_by_its_festivals(settings: Settings) -> None:
    result = CliRunner().invoke(app, ["calendar", "show", "2028"])
    assert result.exit_code == 0, result.output
    assert "2028: not loaded, and the holidays package knows only its statutory festivals" in result.output
    assert "make-up workdays (0): none" in result.output
