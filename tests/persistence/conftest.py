"""Databases for the migration tests: an empty SQLite file, and an empty PostgreSQL database when the run has one.

These tests need a database with no schema at all (tests/support/db.py gives every other test one at head), so
they make their own: each kind in every run that has it, skipped with the reason where PostgreSQL is not offered.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.support.db import POSTGRES_ENV, postgres_server


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database of each kind, dropped afterwards."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'projection.db'}"
        return
    server = postgres_server()
    if not server:
        pytest.skip(f"no PostgreSQL: set {POSTGRES_ENV} to run the migrations on it too")
    name = f"onething_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(server).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
