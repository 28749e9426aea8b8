"""`onething things new` and `onething things graph`, as department staff use them."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli import things_new
from cli.things import things_app
from one_things.jsonschema import SCHEMA_PATH
from one_things.loader import parse_file
from one_things.plan import make_plan
from one_things.schema import ApplicantKind, FieldType, OneThing

runner = CliRunner()


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize("applicant", list(ApplicantKind))
def test_new_writes_a_definition_that_validates_as_written(in_tmp: Path, applicant: ApplicantKind) -> None:
    result = runner.invoke(things_app, ["new", "wedding", "--applicant", applicant.value])
    assert result.exit_code == 0, result.output
    thing, errors = parse_file(in_tmp / "wedding.yaml")
    assert errors == []
    assert thing is not None
    assert (thing.code, thing.version, thing.applicant) == ("wedding", 1, applicant)
    assert make_plan(thing, {}).included == [item.code for item in thing.items]
    checked = runner.invoke(things_app, ["validate", "wedding.yaml"])
    assert checked.exit_code == 0, checked.output
    if applicant is ApplicantKind.LEGAL_PERSON:
        assert FieldType.CREDIT_CODE in {field.type for field in thing.form}


def test_new_explains_every_section_in_chinese_and_english(in_tmp: Path) -> None:
    runner.invoke(things_app, ["new", "wedding"])
    lines = (in_tmp / "wedding.yaml").read_text(encoding="utf-8").splitlines()
    for key in OneThing.model_fields:
        at = next((i for i, line in enumerate(lines) if line.startswith(f"{key}:")), None)
        assert at is not None, f"the scaffold has no top-level `{key}:`"
        comment = []
        for line in reversed(lines[:at]):
            if not line.startswith("#"):
                break
            comment.append(line)
        said = " ".join(comment)
        assert re.search(r"[\u4e00-\u9fff]", said), f"`{key}` has no Chinese explanation"
        assert re.search(r"[A-Za-z]{4}", said), f"`{key}` has no English explanation"


def test_new_points_the_editor_at_the_schema(in_tmp: Path) -> None:
    (in_tmp / "drafts").mkdir()
    runner.invoke(things_app, ["new", "wedding", "-o", "drafts/wedding.yaml"])
    first = (in_tmp / "drafts" / "wedding.yaml").read_text(encoding="utf-8").splitlines()[0]
    match = re.fullmatch(r"# yaml-language-server: \$schema=(\S+)", first)
    assert match is not None
    assert (in_tmp / "drafts" / match.group(1)).resolve() == SCHEMA_PATH.resolve()


def test_new_never_overwrites_a_file(in_tmp: Path) -> None:
    (in_tmp / "wedding.yaml").write_text("my work\n", encoding="utf-8")
    result = runner.invoke(things_app, ["new", "wedding"])
    assert result.exit_code == 1
    assert "wedding.yaml already exists; nothing was written" in result.output
    assert (in_tmp / "wedding.yaml").read_text(encoding="utf-8") == "my work\n"


@pytest.mark.parametrize(
    ("code", "hint"),
    [("Wedding-Day", "did you mean 'wedding_day'?"), ("结婚", "lower-case English letters"), ("1st", "starting with")],
)
def test_new_refuses_a_bad_code(in_tmp: Path, code: str, hint: str) -> None:
    result = runner.invoke(things_app, ["new", code])
    assert result.exit_code == 2
    assert f"cannot create '{code}'" in result.output
    assert hint in result.output
    assert list(in_tmp.iterdir()) == []


def test_new_refuses_a_code_the_catalogue_has(in_tmp: Path) -> None:
    result = runner.invoke(things_app, ["new", "newborn"])
    assert result.exit_code == 1
    assert "the catalogue already has a one-thing 'newborn'" in result.output
    assert list(in_tmp.iterdir()) == []


def test_new_refuses_a_missing_folder(in_tmp: Path) -> None:
    result = runner.invoke(things_app, ["new", "wedding", "-o", "nowhere/wedding.yaml"])
    assert result.exit_code == 1
    assert "does not exist" in result.output


def test_graph_of_a_catalogue_code(in_tmp: Path, newborn: OneThing) -> None:
    result = runner.invoke(things_app, ["graph", "newborn", "-o", "g.svg"])
    assert result.exit_code == 0, result.output
    assert "wrote g.svg: critical path 14 working days, one by one 22" in result.output
    root = ET.fromstring((in_tmp / "g.svg").read_text(encoding="utf-8"))
    drawn = [g.attrib["data-node"] for g in root.iter("{http://www.w3.org/2000/svg}g") if "data-node" in g.attrib]
    assert drawn == [item.code for item in newborn.items]


def test_graph_of_a_draft_file(in_tmp: Path) -> None:
    runner.invoke(things_app, ["new", "wedding"])
    result = runner.invoke(things_app, ["graph", "wedding.yaml"])
    assert result.exit_code == 0, result.output
    assert (in_tmp / "wedding.svg").read_text(encoding="utf-8").startswith("<svg")


def test_graph_of_an_unknown_code_or_broken_file(in_tmp: Path) -> None:
    unknown = runner.invoke(things_app, ["graph", "wedding"])
    assert unknown.exit_code == 2
    assert "unknown one-thing 'wedding'; known: after_death, " in unknown.output
    assert "newborn" in unknown.output
    (in_tmp / "bad.yaml").write_text("code: [\n", encoding="utf-8")
    broken = runner.invoke(things_app, ["graph", "bad.yaml"])
    assert broken.exit_code == 1
    assert "bad.yaml:" in broken.output
    assert not (in_tmp / "bad.svg").exists()


def test_new_asks_who_handles_the_item_rather_than_assuming_clerks(in_tmp: Path) -> None:
    result = runner.invoke(things_app, ["new", "wedding", "--mode", "sync_rest"])
    assert result.exit_code == 0, result.output
    thing, errors = parse_file(in_tmp / "wedding.yaml")
    assert errors == []
    assert thing is not None
    assert thing.items[0].mode.value == "sync_rest"
    assert "registry" in result.output
    clerks = runner.invoke(things_app, ["new", "funeral", "--mode", "standard_module"])
    assert "clerk-handled" in clerks.output


@pytest.mark.parametrize(
    ("typed", "mode"),
    [
        ("\n", "standard_module"),
        ("y\n", "standard_module"),
        ("n\nasync_callback\n", "async_callback"),
        ("n\nrest\nbatch\n", "batch"),  # a wrong answer is asked again
    ],
)
def test_new_asks_at_a_terminal_whether_a_clerk_or_the_departments_system_handles_the_item(
    in_tmp: Path, monkeypatch: pytest.MonkeyPatch, typed: str, mode: str
) -> None:
    monkeypatch.setattr(things_new, "_interactive", lambda: True)
    result = runner.invoke(things_app, ["new", "wedding"], input=typed)
    assert result.exit_code == 0, result.output
    assert "handled by a clerk" in result.output
    assert ("How is the department's system connected?" in result.output) == (mode != "standard_module")
    thing, errors = parse_file(in_tmp / "wedding.yaml")
    assert errors == []
    assert thing is not None
    assert thing.items[0].mode.value == mode
    assert thing.format == 2
