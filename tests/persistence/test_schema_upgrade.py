"""A projection database from an earlier release opens with today's columns and indexes, its rows intact."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlalchemy import inspect

from persistence.db import make_engine

OLD_CASES = (
    "CREATE TABLE cases (case_no VARCHAR(40) PRIMARY KEY, thing VARCHAR(64) NOT NULL, version INTEGER NOT NULL,"
    " owner VARCHAR(128) NOT NULL, status VARCHAR(24) NOT NULL, accepted_at DATETIME NOT NULL,"
    " finished_at DATETIME, reason VARCHAR, seq INTEGER NOT NULL, updated_at DATETIME NOT NULL)"
)


def test_old_database_gains_new_columns_and_indexes(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as old:
        old.execute(OLD_CASES)
        old.execute(
            "INSERT INTO cases VALUES"
            " ('20260101-AAAA', 'newborn', 1, 'o', 'running', '2026-01-01', NULL, NULL, 1, '2026-01-01')"
        )
    engine = make_engine(f"sqlite:///{path}")
    columns = {column["name"] for column in inspect(engine).get_columns("cases")}
    indexes = {index["name"] for index in inspect(engine).get_indexes("cases")}
    engine.dispose()
    make_engine(f"sqlite:///{path}").dispose()  # opening it again finds nothing left to add
    assert {"district", "promised_at", "forecast_at", "light"} <= columns
    assert "ix_cases_status_thing_light" in indexes
    with sqlite3.connect(path) as upgraded:
        # Indexes on expressions, which reflection does not list, are there too (the statistics' day indexes).
        names = {row[0] for row in upgraded.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
        assert {"ix_cases_by_accepted_day", "ix_cases_by_finished_day"} <= names
        assert upgraded.execute("SELECT case_no, district, light FROM cases").fetchall() == [
            ("20260101-AAAA", "", None)
        ]
