"""The State Council's lists of key one-things, and `things list` showing the catalogue against them."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from cli.things import things_app
from core.settings import get_settings
from one_things.catalog import CATALOG_DIR, load_catalog
from one_things.national_lists import Listed, NationalLists, coverage, national_lists

runner = CliRunner()
LISTS = national_lists()


def test_the_four_national_batches_hold_42_places() -> None:
    assert [(batch.code, batch.size) for batch in LISTS.batches] == [
        ("2024_1", 13),
        ("2024_2", 8),
        ("2025_1", 12),
        ("2025_2", 9),
    ]
    assert sum(len(batch.things) for batch in LISTS.batches) == 42


def test_every_named_definition_is_in_the_package_catalogue_once() -> None:
    codes = set(load_catalog(CATALOG_DIR).codes())
    named = [entry.defined_by for batch in LISTS.batches for entry in batch.things if entry.defined_by]
    named += [entry.defined_by for entry in LISTS.shanghai if entry.defined_by]
    assert sorted(set(named) - codes) == []
    assert len(named) == len(set(named)), "a definition implements one key one-thing"


def test_every_catalogue_definition_is_on_a_list() -> None:
    # A definition nobody can find on the lists would be counted nowhere: say which list it belongs to.
    listed = {entry.defined_by for batch in LISTS.batches for entry in batch.things} | {
        entry.defined_by for entry in LISTS.shanghai
    }
    assert sorted(set(load_catalog(CATALOG_DIR).codes()) - listed) == []


def test_an_unconfirmed_or_unnamed_entry_must_say_what_is_known() -> None:
    with pytest.raises(ValidationError, match="say in `note`"):
        Listed.model_validate({"name": {"zh": "某事", "en": "Something"}, "unconfirmed": True})
    with pytest.raises(ValidationError, match="say in `note`"):
        Listed.model_validate({"name": None})
    with pytest.raises(ValidationError, match="cannot name a definition"):
        Listed.model_validate({"name": None, "defined_by": "newborn", "note": "unknown"})


def test_a_batch_must_list_as_many_places_as_it_has() -> None:
    batch = LISTS.batches[0].model_dump()
    batch["things"] = batch["things"][:-1]
    with pytest.raises(ValidationError, match="lists 12 places, its size is 13"):
        NationalLists.model_validate({"version": 1, "batches": [batch]})


def test_coverage_is_read_against_the_catalogue_given() -> None:
    entries = LISTS.batches[0].things
    rows = coverage(entries, {"newborn"})
    assert [row.label for row in rows if row.status == "defined"] == ["newborn"]
    assert sum(row.status == "missing" for row in rows) == len(entries) - 1


@pytest.fixture
def without_retirement(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The package catalogue less one first-batch definition, as an operator's folder might be."""
    folder = tmp_path / "catalog"
    shutil.copytree(CATALOG_DIR, folder)
    (folder / "retirement.yaml").unlink()
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ONETHING_CATALOG_DIR", str(folder))
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_list_shows_each_batch_against_the_catalogue_with_what_is_missing(without_retirement: None) -> None:
    result = runner.invoke(things_app, ["list"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    first = LISTS.batches[0]
    assert f"{first.name.en} ({first.document}): 12/13 defined" in lines
    assert [line.split() for line in lines if line.strip().startswith(("退休", "新生儿出生"))] == [
        ["新生儿出生", "newborn"],
        ["退休", "missing"],
    ]
    # Every place of every batch is shown, the unconfirmed marked and the unnamed said to be unknown.
    for batch in LISTS.batches:
        heading = next(i for i, line in enumerate(lines) if line.startswith(batch.name.en))
        shown = lines[heading + 1 : heading + 1 + batch.size]
        assert all(line.startswith("  ") for line in shown), shown
        for entry, line in zip(batch.things, shown, strict=True):
            if entry.name is None:
                assert line.split() == ["—", "(name", "not", "found)"]
            else:
                assert line.split()[0] == entry.name.zh
                assert ("*" in line.split()) is entry.unconfirmed
    defined = sum(1 for batch in LISTS.batches for entry in batch.things if entry.defined_by) - 1
    unnamed = sum(1 for batch in LISTS.batches for entry in batch.things if entry.name is None)
    assert f"all 4 national batches: {defined}/42 defined, {unnamed} not found on the list" in lines
    assert "Shanghai's own, where they differ: 2/2 defined" in lines
