"""Two API processes starting at once on one PostgreSQL database both seed the demo residents: neither crashes.

The second one's inserts wait on the first's uncommitted rows, then meet their unique keys; it rolls back and
finds everything seeded. PostgreSQL only: SQLite lets one writer in at a time, and the embedded stack runs
one API.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlmodel import Session, func, select

from persistence.demo_seed import seed_demo_data, seed_demo_data_once
from persistence.register import Resident
from tests.support.db import POSTGRES_ENV, migrated_engine, postgres_server


def test_a_second_process_seeding_at_the_same_moment_finds_the_rows_seeded(tmp_path: Path) -> None:
    if postgres_server() is None:
        pytest.skip(f"a race of two writers: PostgreSQL's (set {POSTGRES_ENV})")
    engine = migrated_engine(tmp_path)
    errors: list[BaseException] = []

    def second_process() -> None:
        try:
            seed_demo_data_once(engine)
        except BaseException as error:
            errors.append(error)

    with Session(engine) as first:
        assert seed_demo_data(first) == 7  # inserted, not yet committed
        racing = threading.Thread(target=second_process)
        racing.start()
        racing.join(timeout=1)
        assert racing.is_alive()  # its inserts wait for ours
        first.commit()
    racing.join(timeout=30)
    assert not racing.is_alive()
    assert errors == []
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(Resident)).one() == 7
    engine.dispose()
