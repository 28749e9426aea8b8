from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import typer
from typer.testing import CliRunner

from cli.things import example_command, things_app
from one_things.forms import validate_form
from one_things.plan import make_plan
from one_things.schema import OneThing
from tests.one_things.conftest import Breaker, line_of

runner = CliRunner()


def test_list_shows_promised_beside_one_by_one_and_baseline(newborn: OneThing) -> None:
    result = runner.invoke(things_app, ["list"])
    assert result.exit_code == 0, result.output
    header, *rows = result.output.splitlines()
    [row] = [line for line in rows if line.startswith("newborn ")]
    assert header.split()[:4] == ["code", "version", "name", "items"]
    assert "promised (critical path)" in header
    assert "one by one" in header
    # Critical path 2 + 5 + 7 (birth certificate, hukou, card); one by one every item's days added up.
    one_by_one = sum(item.promised_days for item in newborn.items)
    assert row.split() == ["newborn", str(newborn.version), "新生儿出生一件事", "5", "14", str(one_by_one), "100"]


def test_validate_default_catalogue() -> None:
    result = runner.invoke(things_app, ["validate"])
    assert result.exit_code == 0, result.output
    assert "ok    one_things/catalog/newborn.yaml (newborn v4, 5 items)" in result.output
    assert "0 error(s)" in result.output


def test_validate_broken_file_prints_file_line_and_exits_1(broken: Breaker, tmp_path: Path) -> None:
    broken(name="good.yaml")
    _, text = broken(("code: mini", "code: bad"), ("promised_days: 5", "promised_days: 30"), name="bad.yaml")
    result = runner.invoke(things_app, ["validate", str(tmp_path)])
    assert result.exit_code == 1
    line = line_of(text, "promised_days: 30")
    assert "FAIL  bad.yaml: 1 error" in result.output
    assert f"bad.yaml:{line}: items[1] (hukou): promised_days 30 is more than statutory_days 20" in result.output
    assert "ok    good.yaml (mini v1, 3 items)" in result.output
    assert "2 file(s) checked, 1 with errors, 1 error(s) in all" in result.output


def test_validate_missing_file_fails(tmp_path: Path) -> None:
    result = runner.invoke(things_app, ["validate", str(tmp_path / "nope.yaml")])
    assert result.exit_code == 1
    assert "cannot read the file" in result.output


def test_schema_to_file(tmp_path: Path) -> None:
    target = tmp_path / "schema.json"
    result = runner.invoke(things_app, ["schema", "--output", str(target)])
    assert result.exit_code == 0
    assert json.loads(target.read_text(encoding="utf-8"))["title"].startswith("onething definition")
    printed = runner.invoke(things_app, ["schema"])
    assert json.loads(printed.output) == json.loads(target.read_text(encoding="utf-8"))


def _example_app() -> typer.Typer:
    app = typer.Typer()
    app.command()(example_command)
    return app


def test_example_body_passes_plan_and_form_validation(newborn: OneThing) -> None:
    result = runner.invoke(_example_app(), ["newborn"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert body["thing"] == "newborn"
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    assert make_plan(newborn, body["answers"]).included == [item.code for item in newborn.items]
    values, problems = validate_form(newborn, body["form"], today=today)
    assert problems == []
    assert 0 < (today - date.fromisoformat(str(values["newborn_birth_date"]))).days < 10


def test_example_unknown_thing_exits_2_listing_known() -> None:
    result = runner.invoke(_example_app(), ["wedding"])
    assert result.exit_code == 2
    assert "unknown one-thing 'wedding'; known: after_death, " in result.output
    assert "newborn" in result.output
