"""The Shanghai day and ISO week that SQL groups by agree with Python's calendar, to the second."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.dialects import postgresql
from sqlmodel import Session, select

from persistence.db import make_engine
from persistence.stats import day_of, shanghai_day, shanghai_week, week_start
from persistence.tables import CaseRecord

SH = ZoneInfo("Asia/Shanghai")


def instants() -> list[datetime]:
    rng = random.Random(4)
    midnight = datetime(2027, 3, 1, tzinfo=SH)
    edges = [midnight + timedelta(days=d, seconds=s) for d in range(0, 1500, 11) for s in (0, -1, 1, 28800, -28800)]
    edges.append(midnight - timedelta(microseconds=1))  # 23:59:59.999999 is still the day before
    spread = [midnight + timedelta(seconds=rng.randrange(10**9), microseconds=rng.randrange(10**6)) for _ in range(500)]
    return edges + spread


def test_sql_day_and_week_match_the_shanghai_calendar() -> None:
    engine = make_engine("sqlite://")
    moments = instants()
    with Session(engine) as session:
        for number, moment in enumerate(moments):
            session.add(
                CaseRecord(
                    case_no=str(number),
                    thing="t",
                    version=1,
                    owner="o",
                    status="running",
                    accepted_at=moment,
                    updated_at=datetime.now(UTC),
                )
            )
        session.commit()
        query = select(CaseRecord.case_no, shanghai_day(CaseRecord.accepted_at), shanghai_week(CaseRecord.accepted_at))
        rows = session.exec(query).all()
    assert len(rows) == len(moments)
    for case_no, day, week in rows:
        local = moments[int(case_no)].astimezone(SH).date()
        assert day_of(day) == local, moments[int(case_no)]
        assert week_start(week) == local - timedelta(days=local.weekday()), moments[int(case_no)]


def test_postgresql_gets_its_own_date_arithmetic() -> None:
    query = select(shanghai_week(CaseRecord.finished_at))
    sql = str(query.compile(dialect=postgresql.dialect()))
    assert "EXTRACT(EPOCH FROM cases.finished_at)" in sql
    assert "julianday" not in sql
