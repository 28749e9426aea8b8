"""Definition snapshots: kept once per (code, version), resolved for old cases, guarding a version's content."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session
from typer.testing import CliRunner

from cli.things import things_app
from core.settings import get_settings
from one_things.catalog import load_catalog
from one_things.loader import load_definition
from one_things.problems import CatalogError
from persistence.db import session_scope
from persistence.definitions import DefinitionConflictError, StoredVersions, get_definition, record_definition
from persistence.sql_counts import count_sql
from tests.one_things.conftest import MINI, line_of
from tests.support.db import migrated_engine

AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    return migrated_engine(tmp_path)


def write(folder: Path, text: str) -> Path:
    folder.mkdir(exist_ok=True)
    path = folder / "mini.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def accept_on(engine: Engine, path: Path) -> None:
    """What acceptance stores: the snapshot the case starts on."""
    with session_scope(engine) as session:
        record_definition(session, thing=load_definition(path), accepted_at=AT)


def test_snapshot_is_stored_once_and_read_back_whole(engine: Engine, tmp_path: Path) -> None:
    path = write(tmp_path / "catalog", MINI)
    accept_on(engine, path)
    accept_on(engine, path)  # the second case on the same version
    with session_scope(engine) as session:
        assert get_definition(session, code="mini", version=1) == load_definition(path)
        assert get_definition(session, code="mini", version=2) is None
    assert [(t.code, t.version) for t in StoredVersions(engine).all()] == [("mini", 1)]


def test_another_content_under_a_stored_version_is_refused_at_acceptance(engine: Engine, tmp_path: Path) -> None:
    accept_on(engine, write(tmp_path / "a", MINI))
    edited = write(tmp_path / "b", MINI.replace("promised_days: 5", "promised_days: 4"))
    with pytest.raises(DefinitionConflictError, match="'mini' version 1 is stored with another content"):
        accept_on(engine, edited)


def test_catalogue_edited_without_a_new_version_is_refused_naming_the_file_and_fix(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    accept_on(engine, write(tmp_path / "catalog", MINI))
    text = MINI.replace("promised_days: 5", "promised_days: 4")
    write(tmp_path / "catalog", text)
    with pytest.raises(CatalogError) as refused:
        load_catalog(tmp_path / "catalog", earlier=StoredVersions(engine))
    [error] = refused.value.errors
    assert (error.path, error.line, error.location) == ("catalog/mini.yaml", line_of(text, "version: 1"), "version")
    assert "definition 'mini' changed but its version is still 1" in error.message
    assert "items.hukou: promised_days: 5 → 4" in error.message
    assert error.fix.startswith("bump version: set `version: 2`")


def test_a_new_version_loads_and_old_cases_resolve_their_own(engine: Engine, tmp_path: Path) -> None:
    accept_on(engine, write(tmp_path / "catalog", MINI))
    write(
        tmp_path / "catalog",
        MINI.replace("version: 1", "version: 2").replace("{zh: 户口, en: Hukou}", "{zh: 落户, en: Hukou}"),
    )
    catalog = load_catalog(tmp_path / "catalog", earlier=StoredVersions(engine))
    assert catalog.get("mini").version == 2
    assert catalog.get("mini", 2).item("hukou").name.zh == "落户"
    assert catalog.get("mini", 1).item("hukou").name.zh == "户口"
    assert [(t.code, t.version) for t in catalog.every_version()] == [("mini", 2), ("mini", 1)]
    with pytest.raises(KeyError, match="has no stored version 7"):
        catalog.get("mini", 7)


def test_formatting_and_comments_are_no_change(engine: Engine, tmp_path: Path) -> None:
    accept_on(engine, write(tmp_path / "catalog", MINI))
    write(
        tmp_path / "catalog",
        "# reviewed 2026-03\n" + MINI.replace("    type: text\n", "    type: text\n    required: true\n"),
    )
    assert load_catalog(tmp_path / "catalog", earlier=StoredVersions(engine)).get("mini").version == 1


@pytest.fixture
def database_url(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[str], None]]:
    """Points the command line's settings at a database, as ONETHING_DATABASE_URL does."""

    def use(url: str) -> None:
        monkeypatch.setenv("ONETHING_DATABASE_URL", url)
        get_settings.cache_clear()

    yield use
    get_settings.cache_clear()


def test_validate_checks_against_the_platform_database(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, database_url: Callable[[str], None]
) -> None:
    monkeypatch.chdir(tmp_path)
    accept_on(engine, write(tmp_path / "catalog", MINI))
    text = MINI.replace("baseline: {steps: 5,", "baseline: {steps: 6,")
    write(tmp_path / "catalog", text)
    database_url(str(engine.url))
    result = CliRunner().invoke(things_app, ["validate", str(tmp_path / "catalog")])
    # A SQLite file in both runs: the rule is that a database which is not there is not created.
    missing = tmp_path / "none.db"
    database_url(f"sqlite:///{missing}")
    without = CliRunner().invoke(things_app, ["validate", str(tmp_path / "catalog")])
    assert result.exit_code == 1, result.output
    assert f"catalog/mini.yaml:{line_of(text, 'version: 1')}: version: definition 'mini' changed" in result.output
    assert "baseline: steps: 5 → 6" in result.output
    # Without the platform's database there is nothing to compare with, and none is created.
    assert without.exit_code == 0, without.output
    assert not missing.exists()


def test_diff_against_a_version_cases_ran_on(
    engine: Engine, tmp_path: Path, database_url: Callable[[str], None]
) -> None:
    accept_on(engine, write(tmp_path / "v1", MINI))
    v2 = write(
        tmp_path / "v2", MINI.replace("version: 1", "version: 2").replace("promised_days: 3", "promised_days: 1")
    )
    database_url(str(engine.url))
    result = CliRunner().invoke(things_app, ["diff", "mini@1", str(v2)])
    assert result.exit_code == 1, result.output
    assert "mini 小事 / Mini: version 1 → 2" in result.output
    assert "  ~ changed card 卡 / Card\n      promised_days: 3 → 1" in result.output
    unknown = CliRunner().invoke(things_app, ["diff", "mini@5", str(v2)])
    assert unknown.exit_code == 2
    assert "mini@5: no case was accepted on that version" in unknown.output


def test_a_definition_found_stored_is_not_written_again_and_another_content_is_still_refused(
    engine: Engine, tmp_path: Path
) -> None:
    thing = load_definition(write(tmp_path / "a", MINI))
    statements: list[str] = []
    count_sql(engine, transaction=lambda: None, statement=statements.append)
    sent: list[int] = []
    for _ in range(3):  # the first case stores it, the second finds it stored, the third takes the process's word
        statements.clear()
        with session_scope(engine) as session:
            record_definition(session, thing=thing, accepted_at=AT)
        sent.append(len(statements))
    assert min(sent[:2]) > 0  # stored, then found stored
    assert sent[2] == 0  # not written, nor read, again
    edited = write(tmp_path / "b", MINI.replace("promised_days: 5", "promised_days: 4"))
    with pytest.raises(DefinitionConflictError, match="'mini' version 1 is stored with another content"):
        accept_on(engine, edited)
    with session_scope(engine) as session:
        assert get_definition(session, code="mini", version=1) == thing


def test_a_snapshot_whose_acceptance_rolled_back_is_stored_by_the_next(engine: Engine, tmp_path: Path) -> None:
    thing = load_definition(write(tmp_path / "a", MINI))
    with Session(engine) as session:  # an acceptance refused after recording its definition: nothing commits
        record_definition(session, thing=thing, accepted_at=AT)
        session.rollback()
    for _ in range(2):
        with session_scope(engine) as session:
            record_definition(session, thing=thing, accepted_at=AT)
    with session_scope(engine) as session:
        assert get_definition(session, code="mini", version=1) == thing


def test_a_process_remembers_a_snapshot_per_database(tmp_path: Path) -> None:
    thing = load_definition(write(tmp_path / "a", MINI))
    first, second = migrated_engine(tmp_path / "one"), migrated_engine(tmp_path / "two")
    for engine in (first, first, first):
        with session_scope(engine) as session:
            record_definition(session, thing=thing, accepted_at=AT)
    with session_scope(second) as session:  # another database: its own snapshot, not the first's word for it
        record_definition(session, thing=thing, accepted_at=AT)
    with session_scope(second) as session:
        assert get_definition(session, code="mini", version=1) == thing
