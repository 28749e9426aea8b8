"""`onething departments keys`: a key is shown once, listed by id only, rotated with an overlap."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.main import app
from core.settings import get_settings
from tests.support.db import process_environment, settings_for


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    # The CLI reads its settings from the environment: the data folder, and this run's database (PostgreSQL
    # in scripts/test's second pass).
    for name, value in process_environment(settings_for(tmp_path / "data")).items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def test_issue_shows_the_key_once_then_only_its_id(data_dir: Path) -> None:
    runner = CliRunner()
    issued = runner.invoke(app, ["departments", "keys", "issue", "public_security"])
    assert issued.exit_code == 0, issued.output
    key = issued.output.split("key:")[1].split()[0]
    key_id = issued.output.split("key id:")[1].split()[0]
    assert "never shown again" in issued.output

    again = runner.invoke(app, ["departments", "keys", "issue", "public_security"])
    assert again.exit_code == 1
    assert "keys rotate public_security" in again.output

    rotated = runner.invoke(app, ["departments", "keys", "rotate", "public_security", "--overlap-hours", "2"])
    assert rotated.exit_code == 0, rotated.output
    assert "keep verifying until" in rotated.output

    listed = runner.invoke(app, ["departments", "keys", "list", "public_security"])
    assert listed.exit_code == 0, listed.output
    assert key_id in listed.output
    assert "overlap" in listed.output
    assert "current" in listed.output
    assert key not in listed.output  # the key itself is never shown again


def test_a_key_for_the_department_s_own_configuration_goes_to_a_file(data_dir: Path) -> None:
    target = data_dir / "stub-keys.json"
    result = CliRunner().invoke(app, ["departments", "keys", "issue", "health", "--output", str(target)])
    assert result.exit_code == 0, result.output
    written = json.loads(target.read_text(encoding="utf-8"))
    assert written["health"]["key"] not in result.output
    assert target.stat().st_mode & 0o077 == 0  # readable by its owner only


def test_keys_are_issued_only_for_registered_departments(data_dir: Path) -> None:
    result = CliRunner().invoke(app, ["departments", "keys", "issue", "no_such_department"])
    assert result.exit_code == 1
    assert "not in the registry" in result.output
