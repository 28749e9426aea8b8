"""The Shanghai day the statistics group by: right to the second in SQL, and read from its index."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import event
from sqlalchemy.dialects import postgresql
from sqlmodel import Session, select

from persistence.days import day_of, shanghai_day
from persistence.db import make_engine
from persistence.migrate import upgrade
from persistence.stats import Span, completion_days, outcomes, weekly_ratings, weekly_volumes
from persistence.tables import CaseRecord
from tests.support.db import migrated_engine

SH = ZoneInfo("Asia/Shanghai")


def instants() -> list[datetime]:
    rng = random.Random(4)
    midnight = datetime(2027, 3, 1, tzinfo=SH)
    edges = [midnight + timedelta(days=d, seconds=s) for d in range(0, 1500, 11) for s in (0, -1, 1, 28800, -28800)]
    edges.append(midnight - timedelta(microseconds=1))  # 23:59:59.999999 is still the day before
    spread = [midnight + timedelta(seconds=rng.randrange(10**9), microseconds=rng.randrange(10**6)) for _ in range(500)]
    return edges + spread


def test_sql_day_matches_the_shanghai_calendar(tmp_path: Path) -> None:
    engine = migrated_engine(tmp_path)
    moments = instants()
    with Session(engine) as session:
        for number, moment in enumerate(moments):
            session.add(
                CaseRecord(
                    case_no=str(number), thing="t", version=1, owner="o", status="running",
                    accepted_at=moment, updated_at=datetime.now(UTC),
                )
            )  # fmt: skip
        session.commit()
        rows = session.exec(select(CaseRecord.case_no, shanghai_day(CaseRecord.accepted_at))).all()
    assert len(rows) == len(moments)
    wrong = [moments[int(no)] for no, day in rows if day_of(day) != moments[int(no)].astimezone(SH).date()]
    assert wrong == []


def test_every_statistics_query_searches_its_index(tmp_path) -> None:  # type: ignore[no-untyped-def]
    # SQLite's plans, on a SQLite file in both runs: PostgreSQL's planner costs its choice by the table's
    # statistics (a near-empty table is scanned whatever its indexes), so its plan here would prove nothing.
    url = f"sqlite:///{tmp_path / 'plan.db'}"
    upgrade(url)
    engine = make_engine(url)
    span = Span(datetime(2027, 1, 1).date(), datetime(2027, 3, 31).date())
    plans: list[tuple[str, str]] = []

    def explain(connection, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        if statement.startswith("SELECT"):
            rows = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters).all()
            plans.append((statement, " | ".join(row[-1] for row in rows)))

    event.listen(engine, "before_cursor_execute", explain)
    with Session(engine) as session:
        for query in (outcomes, completion_days, weekly_volumes, weekly_ratings):
            query(session, things=["newborn", "other"], span=span)
    event.remove(engine, "before_cursor_execute", explain)
    assert len(plans) == 5
    for _, plan in plans:
        assert plan.startswith("SEARCH"), plan  # never a scan of the whole table
        assert " INDEX ix_" in plan, plan
    # Durations, the largest grouping, come out of the index in its order: no sort of a million rows.
    durations = next(plan for statement, plan in plans if "finished_at" in statement and "accepted_at" in statement)
    assert "TEMP B-TREE" not in durations


def test_postgresql_gets_its_own_date_arithmetic() -> None:
    sql = str(select(shanghai_day(CaseRecord.finished_at)).compile(dialect=postgresql.dialect()))
    assert "(cases.finished_at) AT TIME ZONE 'Asia/Shanghai')::date - DATE '1970-01-01'" in sql
