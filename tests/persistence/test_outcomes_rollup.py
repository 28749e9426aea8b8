"""The daily rollup counts two items decided at the same moment in two transactions, on SQLite and PostgreSQL.

Before it was one upsert, the second transaction's insert of the same day's row failed on the primary key
(seen on PostgreSQL); the projection's retry healed it, but a figure could be missing until then.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from sqlmodel import Session, select

from core.database import create_sql_engine
from persistence.migrate import upgrade
from persistence.outcomes import ItemOutcomeDay, count_decided_item

FINISHED = datetime(2027, 3, 2, 6, 0, tzinfo=UTC)


def _count(engine, started: threading.Barrier, *, late: bool) -> None:  # type: ignore[no-untyped-def]
    with Session(engine) as session:
        started.wait()  # both transactions are open before either writes
        count_decided_item(
            session,
            thing="newborn",
            district="徐汇区",
            department="health",
            item="birth_certificate",
            finished_at=FINISHED,
            due_at=FINISHED - timedelta(days=1) if late else FINISHED + timedelta(days=1),
            statutory_due_at=None,
            clock_days=2,
        )
        session.commit()


def test_two_items_decided_at_once_are_both_counted(empty_database: str) -> None:
    upgrade(empty_database)
    engine = create_sql_engine(empty_database)
    started = threading.Barrier(2)
    threads = [threading.Thread(target=_count, args=(engine, started), kwargs={"late": late}) for late in (False, True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    with Session(engine) as session:
        [row] = session.exec(select(ItemOutcomeDay)).all()
    engine.dispose()
    assert (row.finished, row.on_time, row.on_time_statutory) == (2, 1, 2)
