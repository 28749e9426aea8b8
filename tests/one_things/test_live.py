"""LiveCatalog on real files: a changed folder is published at the next look, a refused one leaves the last good."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path

import pytest

from one_things.live import LiveCatalog
from one_things.loader import load_definition
from persistence.db import session_scope
from persistence.definitions import StoredVersions, record_definition
from tests.one_things.conftest import MINI, line_of
from tests.support.db import migrated_engine


class Ticks:
    """A monotonic clock the test moves."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def write(folder: Path, code: str, *edits: tuple[str, str]) -> Path:
    text = MINI.replace("code: mini\n", f"code: {code}\n", 1)
    for old, new in edits:
        assert old in text, old
        text = text.replace(old, new, 1)
    path = folder / f"{code}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    folder = tmp_path / "catalog"
    folder.mkdir()
    write(folder, "first")
    return folder


def test_a_new_file_is_served_at_the_first_look_after_the_interval(folder: Path) -> None:
    ticks = Ticks()
    live = LiveCatalog(folder, monotonic=ticks)
    write(folder, "second")
    assert live.current().codes() == ["first"]  # not looked at again within the second
    ticks.now = 1.0
    assert live.current().codes() == ["first", "second"]
    (folder / "second.yaml").unlink()
    ticks.now = 2.0
    assert live.current().codes() == ["first"]


def test_a_broken_file_leaves_the_last_good_catalogue_and_is_reported_once(
    folder: Path, caplog: pytest.LogCaptureFixture
) -> None:
    live = LiveCatalog(folder, check_every=0)
    served = live.current()
    broken = write(folder, "broken", ("promised_days: 5", "promised_days: 50"))
    line = line_of(broken.read_text(encoding="utf-8"), "promised_days: 50")
    with caplog.at_level(logging.ERROR, logger="onething.catalog"):
        assert live.current() is served
        assert live.current() is served
    status = live.status()
    assert status.definitions == 1
    [error] = status.errors
    assert f"broken.yaml:{line}: items[1] (hukou): promised_days 50 is more than statutory_days 20" in str(error)
    [record] = caplog.records  # once per change of the folder, not once per request
    assert "still serving the last good one (1 definitions)" in record.getMessage()
    assert str(error) in record.getMessage()

    (folder / "broken.yaml").unlink()
    assert live.current().codes() == ["first"]
    assert live.status().errors == ()


def test_an_edit_that_kept_a_stored_version_is_refused_until_the_version_is_raised(
    folder: Path, tmp_path: Path
) -> None:
    engine = migrated_engine(tmp_path)
    with session_scope(engine) as session:  # a case was accepted on first v1
        record_definition(session, thing=load_definition(folder / "first.yaml"), accepted_at=datetime.now(UTC))
    live = LiveCatalog(folder, earlier=StoredVersions(engine), check_every=0)

    write(folder, "first", ("promised_days: 2", "promised_days: 3"))
    assert live.current().get("first").items[0].promised_days == 2
    [error] = live.status().errors
    assert "version: definition 'first' changed" in str(error)

    write(folder, "first", ("promised_days: 2", "promised_days: 3"), ("version: 1", "version: 2"))
    assert live.current().get("first").items[0].promised_days == 3
    assert live.current().get("first", version=1).items[0].promised_days == 2  # the old case's version
    assert live.status().errors == ()
