"""The department-health rows are written beside the calls (activities/call_log.py): a call hands its row over
and returns; rows that gather while a write is on its way go out together; a database that cannot take them
costs the rows, never the call."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import text
from sqlmodel import Session, select

from activities.call_log import CallLog, LoggedCall
from persistence.department_calls import OK, DepartmentCall
from persistence.sql_counts import count_sql
from tests.support.db import migrated_engine

CALLED_AT = datetime(2026, 12, 6, 2, 0, tzinfo=UTC)


def call(department: str) -> LoggedCall:
    return LoggedCall(department, "submit", OK, timedelta(milliseconds=52), 1, CALLED_AT)


async def transactions_to_log(tmp_path: Path, departments: list[str]) -> int:
    engine = migrated_engine(tmp_path / str(len(departments)))
    transactions: list[None] = []
    count_sql(engine, transaction=lambda: transactions.append(None), statement=lambda _verb: None)
    log = CallLog(engine)
    for department in departments:
        log.add(call(department))  # returns at once: nothing written yet
    await log.drain()
    with Session(engine) as session:
        rows = session.exec(select(DepartmentCall)).all()
    assert sorted(row.department for row in rows) == sorted(departments)
    assert {row.latency_ms for row in rows} == {52}
    return len(transactions) - 1  # the read above


async def test_rows_of_calls_finishing_together_share_one_write(tmp_path: Path) -> None:
    one = await transactions_to_log(tmp_path, ["health"])
    three = await transactions_to_log(tmp_path, ["health", "cdc", "public_security"])
    assert one >= 1
    assert three == one  # the three rows gathered before the writer's first turn: one write, not three


async def test_a_row_added_while_a_write_is_on_its_way_is_written_next(tmp_path: Path) -> None:
    engine = migrated_engine(tmp_path)
    log = CallLog(engine)
    log.add(call("health"))
    await log.drain()
    log.add(call("cdc"))
    await log.drain()
    with Session(engine) as session:
        assert len(session.exec(select(DepartmentCall)).all()) == 2


async def test_a_database_that_refuses_the_rows_does_not_fail_the_call(tmp_path: Path, caplog) -> None:  # type: ignore[no-untyped-def]
    engine = migrated_engine(tmp_path)
    with engine.begin() as connection:
        connection.execute(text("DROP TABLE department_calls"))
    log = CallLog(engine)
    log.add(call("health"))  # no exception here, nor from draining
    await log.drain()
    assert "1 department call(s) not logged for health" in caplog.text
    assert "health" not in caplog.text.split("not logged")[0]  # the warning names no department's data
