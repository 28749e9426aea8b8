"""`onething departments` still runs the stubs (scripts/run and the dev stack call it so), and its
`conformance` subcommand refuses options it cannot use before calling anyone."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from cli.main import app


def test_without_a_subcommand_it_runs_the_stubs(monkeypatch: pytest.MonkeyPatch) -> None:
    started = []
    monkeypatch.setattr("departments.server.run_departments", started.append)
    result = CliRunner().invoke(app, ["departments"])
    assert result.exit_code == 0, result.output
    assert len(started) == 1


def test_conformance_does_not_run_the_stubs(monkeypatch: pytest.MonkeyPatch) -> None:
    started = []
    monkeypatch.setattr("departments.server.run_departments", started.append)
    result = CliRunner().invoke(app, ["departments", "conformance", "--help"])
    assert result.exit_code == 0
    assert "--department" in result.output
    assert started == []


@pytest.mark.parametrize(
    ("options", "complaint"),
    [
        (["--mode", "standard_module"], "unknown mode standard_module"),
        (["--callback-key", "not-hex"], "64 hex characters"),
        (["--callback-key", "abcd"], "64 hex characters (32 bytes)"),
    ],
)
def test_bad_options_are_refused_before_any_call(options: list[str], complaint: str) -> None:
    result = CliRunner().invoke(
        app, ["departments", "conformance", "http://127.0.0.1:9", "--department", "x", *options]
    )
    assert result.exit_code == 2
    assert complaint in " ".join(result.output.replace("│", " ").split())
