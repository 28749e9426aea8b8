"""Alembic owns the schema: migrations equal the models, an old database is upgraded in place with its rows,
upgrades at once are serialised, and a serving process refuses a database that is not at head.

Each test runs on SQLite and on PostgreSQL (when ONETHING_TEST_POSTGRES_URL offers one: conftest.py).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest
from sqlalchemy import Index, create_engine, inspect, text
from sqlalchemy.engine import make_url
from sqlmodel import SQLModel
from typer.testing import CliRunner

from cli.main import app
from core.settings import get_settings
from persistence import migrate
from persistence.db import make_engine


@pytest.fixture(autouse=True)
def _fresh_settings() -> Iterator[None]:
    """The commands read get_settings() (cached): each test's ONETHING_DATABASE_URL must be read afresh."""
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def _expression_index_names() -> set[str]:
    return {
        index.name
        for table in SQLModel.metadata.sorted_tables
        for index in table.indexes
        if isinstance(index, Index) and index.name and any(not hasattr(e, "table") for e in index.expressions)
    }


def _index_names(url: str) -> set[str]:
    """Every index, expression indexes included (reflection leaves those out on SQLite)."""
    engine = create_engine(url)
    query = (
        "SELECT name FROM sqlite_master WHERE type = 'index'"
        if engine.dialect.name == "sqlite"
        else "SELECT indexname FROM pg_indexes WHERE schemaname = 'public'"
    )
    with engine.connect() as connection:
        names = set(connection.execute(text(query)).scalars())
    engine.dispose()
    return names


def test_the_migrations_make_exactly_the_models(empty_database: str) -> None:
    migrate.upgrade(empty_database)
    assert migrate.current(empty_database) == migrate.head_revisions()
    migrate.check(empty_database)  # autogenerate finds no difference: no revision is missing
    expression_indexes = _expression_index_names()
    assert {"ix_cases_by_accepted_day", "ix_cases_by_finished_day", "ix_ratings_by_day"} <= expression_indexes
    assert expression_indexes <= _index_names(empty_database)  # which autogenerate cannot compare
    make_engine(empty_database).dispose()  # and a serving process accepts it


def test_upgrade_again_and_downgrade_to_nothing_and_back(empty_database: str) -> None:
    migrate.upgrade(empty_database)
    migrate.upgrade(empty_database)  # nothing left to do
    migrate.downgrade(empty_database, "base")
    engine = create_engine(empty_database)
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    engine.dispose()
    migrate.upgrade(empty_database)
    migrate.check(empty_database)


# The oldest shape of the cases table a release before Alembic made (create_all; later releases added the
# district, channel, promise, forecast and light columns at start), with one case in it.
OLD_CASES = (
    "CREATE TABLE cases (case_no VARCHAR(40) NOT NULL, thing VARCHAR(64) NOT NULL, version INTEGER NOT NULL,"
    " owner VARCHAR(128) NOT NULL, status VARCHAR(24) NOT NULL, accepted_at {stamp} NOT NULL,"
    " finished_at {stamp}, reason VARCHAR, seq INTEGER NOT NULL, updated_at {stamp} NOT NULL,"
    " PRIMARY KEY (case_no))"
)
OLD_ROW = (
    "INSERT INTO cases VALUES ('20260101-AAAA', 'newborn', 1, 'o', 'running',"
    " '2026-01-01 08:00:00+00:00', NULL, NULL, 1, '2026-01-01 08:00:00+00:00')"
)


def test_a_database_from_before_alembic_is_upgraded_in_place(empty_database: str) -> None:
    engine = create_engine(empty_database)
    stamp = "DATETIME" if engine.dialect.name == "sqlite" else "TIMESTAMP WITH TIME ZONE"
    with engine.begin() as connection:
        connection.execute(text(OLD_CASES.format(stamp=stamp)))
        connection.execute(text(OLD_ROW))
    engine.dispose()
    with pytest.raises(migrate.SchemaNotCurrentError, match="onething db upgrade"):
        make_engine(empty_database)

    migrate.upgrade(empty_database)

    engine = make_engine(empty_database)
    with engine.connect() as connection:
        row = connection.execute(text("SELECT case_no, district, channel, light FROM cases")).one()
    tables = set(inspect(engine).get_table_names())
    engine.dispose()
    assert tuple(row) == ("20260101-AAAA", "", "bundle", None)
    assert {"case_items", "ratings", "application_requests"} <= tables  # the tables it lacked are there too
    assert {"ix_cases_status_thing_light", "ix_cases_by_accepted_day"} <= _index_names(empty_database)
    migrate.check(empty_database)


def test_a_serving_process_refuses_a_database_behind_or_ahead_and_names_the_fix(empty_database: str) -> None:
    with pytest.raises(migrate.SchemaNotCurrentError, match=r"no schema yet.*Run `onething db upgrade`"):
        make_engine(empty_database)
    migrate.upgrade(empty_database)
    engine = create_engine(empty_database)
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    engine.dispose()
    with pytest.raises(migrate.SchemaNotCurrentError, match="from a newer release"):
        make_engine(empty_database)


@pytest.mark.parametrize("command", ["api", "worker", "simulate"])
def test_the_serving_commands_exit_at_once_naming_the_upgrade(
    command: str, empty_database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ONETHING_DATABASE_URL", empty_database)
    started = time.monotonic()
    result = CliRunner().invoke(app, [command])
    assert result.exit_code == 2, result.output
    assert "refusing to start" in result.output
    assert "onething db upgrade" in result.output
    assert time.monotonic() - started < 10  # no hang, no retry loop


def test_db_commands(empty_database: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ONETHING_DATABASE_URL", empty_database)
    runner = CliRunner()
    assert "is at none" in runner.invoke(app, ["db", "current"]).output
    assert runner.invoke(app, ["db", "check"]).exit_code == 2  # not at head yet
    upgraded = runner.invoke(app, ["db", "upgrade"])
    assert upgraded.exit_code == 0, upgraded.output
    head = ", ".join(sorted(migrate.head_revisions()))
    assert f"is at {head}" in upgraded.output
    assert make_url(empty_database).password is None or "***" in upgraded.output
    checked = runner.invoke(app, ["db", "check"])
    assert checked.exit_code == 0, checked.output


def test_upgrades_started_at_once_are_serialised(empty_database: str) -> None:
    """Two `onething db upgrade` processes on one empty database: all succeed, the schema is made once."""
    environment = {**os.environ, "ONETHING_DATABASE_URL": empty_database}
    script = "from cli.main import main; main()"
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", script, "db", "upgrade"],
            env=environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [process.communicate(timeout=120)[0] for process in processes]
    assert [process.returncode for process in processes] == [0, 0], outputs
    assert migrate.current(empty_database) == migrate.head_revisions()
    migrate.check(empty_database)
