"""Every catalogue command reads the folder in ONETHING_CATALOG_DIR, not the package's own definitions."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from cli.things import example_command, things_app
from core.settings import get_settings
from tests.support.catalog import TWINS, TWINS_NAME, catalogue_with_twins

runner = CliRunner()


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    folder = catalogue_with_twins(tmp_path / "catalog")
    monkeypatch.chdir(tmp_path)  # no platform database here, and `graph` writes its SVG here
    monkeypatch.setenv("ONETHING_CATALOG_DIR", str(folder))
    get_settings.cache_clear()
    yield folder
    get_settings.cache_clear()  # the next test's settings come from its own environment


def test_list_shows_the_folders_definition(folder: Path) -> None:
    result = runner.invoke(things_app, ["list"])
    assert result.exit_code == 0, result.output
    [row] = [line for line in result.output.splitlines() if line.startswith(f"{TWINS} ")]
    assert TWINS_NAME in row


def test_graph_draws_the_folders_definition(folder: Path) -> None:
    result = runner.invoke(things_app, ["graph", TWINS])
    assert result.exit_code == 0, result.output
    assert f"wrote {TWINS}.svg" in result.output
    assert Path(f"{TWINS}.svg").read_text(encoding="utf-8").startswith("<svg")


def test_validate_without_a_path_checks_the_folder(folder: Path) -> None:
    result = runner.invoke(things_app, ["validate"])
    assert result.exit_code == 0, result.output
    assert f"ok    catalog/{TWINS}.yaml ({TWINS} v4, 5 items)" in result.output
    # The package's definitions and the twins; `_registry.yaml` is the registry of names, not a definition.
    files = len([path for path in folder.glob("*.yaml") if not path.name.startswith("_")])
    assert f"{files} file(s) checked, 0 with errors" in result.output


def test_example_fills_the_folders_definition(folder: Path) -> None:
    app = typer.Typer()
    app.command()(example_command)
    result = runner.invoke(app, [TWINS])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["thing"] == TWINS


def test_new_refuses_a_code_the_folder_has(folder: Path) -> None:
    result = runner.invoke(things_app, ["new", TWINS])
    assert result.exit_code == 1
    assert f"the catalogue already has a one-thing '{TWINS}' (catalog/{TWINS}.yaml)" in result.output
    assert not Path(f"{TWINS}.yaml").exists()


def test_diff_reads_codes_from_the_folder(folder: Path) -> None:
    result = runner.invoke(things_app, ["diff", "newborn", TWINS])
    assert result.exit_code == 1, result.output  # they differ, and both codes were found
    assert TWINS_NAME in result.output
