"""Aggregates for the leaders' statistics, computed in the database. Keyword-only; callers own the session.

Every function takes a `span` (a range of Shanghai dates) and answers with small grouped counts, never
with one row per case: with a million cases the database does the counting and Python gets at most a
few thousand rows. Days are Shanghai calendar days: grouping by day and ISO week is done in SQL by
`shanghai_day` / `shanghai_week`, which compile to each database's own date arithmetic (SQLite and
PostgreSQL, the two this project runs on) from the instant's epoch seconds. Asia/Shanghai has kept UTC+8
without daylight saving since 1991, so the fixed offset is exact for every case this platform can hold.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Integer, case, func
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.expression import ColumnElement, FunctionElement
from sqlmodel import Session, col, select

from core.calendar import TZ
from persistence.materials import MaterialUpload
from persistence.ratings import OVERALL, RatingRecord
from persistence.tables import CaseRecord, ItemRecord

EPOCH = date(1970, 1, 1)
"""Day 0 of `shanghai_day`; a Thursday, so ISO week 0 (Monday-based) starts three days earlier."""
_OFFSET_SECONDS = 8 * 3600
FINISHED = ("completed", "rejected", "withdrawn")
GOOD_SCORE = 4
"""A rating of 4 or 5 (out of 5) is a good review (好评)."""


@dataclass(frozen=True)
class Span:
    """Shanghai dates from `first` to `last`, both included; None leaves that end open."""

    first: date | None = None
    last: date | None = None

    def bounds(self) -> tuple[datetime | None, datetime | None]:
        """[start, end) as aware UTC instants: 00:00 Shanghai of `first` and of the day after `last`."""
        start = _midnight(self.first) if self.first else None
        end = _midnight(self.last + timedelta(days=1)) if self.last else None
        return start, end


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=TZ).astimezone(UTC)


def day_of(number: int) -> date:
    """The date of a `shanghai_day` number."""
    return EPOCH + timedelta(days=number)


def week_start(number: int) -> date:
    """The Monday of a `shanghai_week` number."""
    return EPOCH + timedelta(days=7 * number - 3)


class shanghai_day(FunctionElement[int]):  # noqa: N801 - a SQL function, named like one
    """The Shanghai calendar date of a UTC timestamp column, as whole days since 1970-01-01."""

    type = Integer()
    inherit_cache = True


class shanghai_week(FunctionElement[int]):  # noqa: N801
    """The ISO (Monday-based) week of a UTC timestamp column in Shanghai, as weeks since 1969-12-29."""

    type = Integer()
    inherit_cache = True


def _argument(element: FunctionElement[Any], compiler: SQLCompiler, **kw: Any) -> str:
    (argument,) = element.clauses
    return str(compiler.process(argument, **kw))


@compiles(shanghai_day, "sqlite")
def _day_sqlite(element: shanghai_day, compiler: SQLCompiler, **kw: Any) -> str:
    # SQLAlchemy stores 'YYYY-MM-DD HH:MM:SS.ffffff' (UTC here). The fraction is cut off first: julianday
    # rounds it to milliseconds, which would move 23:59:59.9996 to the next day. From whole seconds, the
    # days since 1970 plus the 8 hours land within 1e-10 of the exact value; the 1e-6 day (86 ms, less
    # than the one second a stored time can lie before midnight) keeps a midnight from truncating down.
    # julianday is three times faster than strftime('%s') here, and it runs twice per case.
    stamp = f"substr({_argument(element, compiler, **kw)}, 1, 19)"
    return f"CAST(julianday({stamp}) - 2440587.5 + {_OFFSET_SECONDS / 86400!r} + 0.000001 AS INTEGER)"


@compiles(shanghai_day, "postgresql")
def _day_postgresql(element: shanghai_day, compiler: SQLCompiler, **kw: Any) -> str:
    seconds = f"EXTRACT(EPOCH FROM {_argument(element, compiler, **kw)})"
    return f"CAST(FLOOR(({seconds} + {_OFFSET_SECONDS}) / 86400) AS INTEGER)"


@compiles(shanghai_day)
def _day_other(element: shanghai_day, compiler: SQLCompiler, **kw: Any) -> str:
    raise NotImplementedError(f"shanghai_day has no SQL for {compiler.dialect.name}; add it in persistence/stats.py")


@compiles(shanghai_week)
def _week(element: shanghai_week, compiler: SQLCompiler, **kw: Any) -> str:
    # Integer operands divide as integers on both databases; day 0 is a Thursday, so +3 starts weeks on Monday.
    (argument,) = element.clauses
    return f"(({compiler.process(shanghai_day(argument), **kw)} + 3) / 7)"


def _within(column: Any, span: Span) -> list[ColumnElement[bool]]:
    start, end = span.bounds()
    conditions: list[ColumnElement[bool]] = []
    if start is not None:
        conditions.append(col(column) >= start)
    if end is not None:
        conditions.append(col(column) < end)
    return conditions


def outcomes(session: Session, *, span: Span) -> dict[str, Counter[str]]:
    """thing -> case status -> number of cases accepted in `span` (the cohort the table describes)."""
    query = (
        select(CaseRecord.thing, CaseRecord.status, func.count())
        .where(*_within(CaseRecord.accepted_at, span))
        .group_by(CaseRecord.thing, CaseRecord.status)
    )
    result: dict[str, Counter[str]] = {}
    for thing, status, count in session.exec(query):
        result.setdefault(thing, Counter())[status] = count
    return result


def completion_days(session: Session, *, span: Span) -> dict[str, Counter[tuple[date, date]]]:
    """thing -> (acceptance date, completion date) -> completed cases accepted in `span`.

    Durations in calendar and working days depend only on these two Shanghai dates, so the database
    groups a million cases into at most (days in the span x spread of durations) rows.
    """
    accepted, finished = shanghai_day(CaseRecord.accepted_at), shanghai_day(CaseRecord.finished_at)
    query = (
        select(CaseRecord.thing, accepted, finished, func.count())
        .where(CaseRecord.status == "completed", col(CaseRecord.finished_at).is_not(None))
        .where(*_within(CaseRecord.accepted_at, span))
        .group_by(CaseRecord.thing, accepted, finished)
    )
    result: dict[str, Counter[tuple[date, date]]] = {}
    for thing, first, last, count in session.exec(query):
        result.setdefault(thing, Counter())[(day_of(first), day_of(last))] = count
    return result


SAMPLE = 20_000
"""What the citizens did (steps, uploads, items) is counted on at most this many completed cases, the latest
of the range: enough for means of small whole numbers to two decimals, and a bounded join of items and
uploads however many cases the range holds (durations and counts always cover every case)."""


@dataclass(frozen=True)
class CitizenSample:
    cases: int
    """Completed cases measured: all of the range, or its latest SAMPLE."""
    uploads: int
    """Files the citizens uploaded for those cases."""
    journeys: Counter[tuple[frozenset[str], int]]
    """(the items a case included, the corrections its citizen answered) -> how many cases. Guidance
    answers leave items out, and with them the materials only those items need."""


def citizen_sample(
    session: Session, *, thing: str, items: Sequence[str], span: Span, limit: int = SAMPLE
) -> CitizenSample:
    """Uploads, included items and answered corrections of the latest `limit` completed cases of `thing`
    accepted in `span`.

    `items` are the definition's item codes. In SQL each case's items become a bit mask and its items'
    `round` (resubmissions after a correction request, i.e. the citizen's answers) a sum, so the database
    returns one row per distinct (mask, corrections): a handful, not one per case.
    """
    if len(items) > 62:
        raise ValueError(f"{thing}: {len(items)} items do not fit a 63-bit mask; split the one-thing")
    sample = (
        select(CaseRecord.case_no)
        .where(CaseRecord.thing == thing, CaseRecord.status == "completed", *_within(CaseRecord.accepted_at, span))
        .order_by(col(CaseRecord.accepted_at).desc())
        .limit(limit)
        .subquery()
    )
    sampled = select(sample.c.case_no)
    cases = session.exec(select(func.count()).select_from(sample)).one()
    uploaded = session.exec(
        select(func.count()).select_from(MaterialUpload).where(col(MaterialUpload.case_no).in_(sampled))
    ).one()
    bits = case(*[(col(ItemRecord.code) == code, 1 << bit) for bit, code in enumerate(items)], else_=0)
    per_case = (
        select(func.sum(bits).label("mask"), func.sum(ItemRecord.round).label("corrections"))
        .where(col(ItemRecord.case_no).in_(sampled))
        .group_by(ItemRecord.case_no)
        .subquery()
    )
    grouped = select(per_case.c.mask, per_case.c.corrections, func.count()).group_by(
        per_case.c.mask, per_case.c.corrections
    )
    journeys: Counter[tuple[frozenset[str], int]] = Counter()
    for mask, corrections, count in session.exec(grouped):
        included = frozenset(code for bit, code in enumerate(items) if int(mask) >> bit & 1)
        journeys[(included, int(corrections))] = count
    return CitizenSample(cases=cases, uploads=uploaded, journeys=journeys)


@dataclass(frozen=True)
class WeekCount:
    thing: str
    week: date
    """The Monday the ISO week starts on."""
    what: str
    """accepted, completed, rejected or withdrawn."""
    count: int


def weekly_volumes(session: Session, *, span: Span) -> list[WeekCount]:
    """Cases accepted per week (by acceptance date) and finished per week and outcome (by finishing date)."""
    accepted_week = shanghai_week(CaseRecord.accepted_at)
    accepted = (
        select(CaseRecord.thing, accepted_week, func.count())
        .where(*_within(CaseRecord.accepted_at, span))
        .group_by(CaseRecord.thing, accepted_week)
    )
    finished_week = shanghai_week(CaseRecord.finished_at)
    finished = (
        select(CaseRecord.thing, finished_week, CaseRecord.status, func.count())
        .where(col(CaseRecord.status).in_(FINISHED), col(CaseRecord.finished_at).is_not(None))
        .where(*_within(CaseRecord.finished_at, span))
        .group_by(CaseRecord.thing, finished_week, CaseRecord.status)
    )
    rows = [WeekCount(thing, week_start(week), "accepted", count) for thing, week, count in session.exec(accepted)]
    rows += [WeekCount(thing, week_start(week), status, count) for thing, week, status, count in session.exec(finished)]
    return sorted(rows, key=lambda row: (row.week, row.thing, row.what))


@dataclass(frozen=True)
class WeekRatings:
    thing: str
    week: date
    ratings: int
    good: int
    """Ratings with a score of GOOD_SCORE or more."""


def weekly_ratings(session: Session, *, span: Span) -> list[WeekRatings]:
    """Overall ratings (department "") given per week, and how many were good (score >= GOOD_SCORE)."""
    week = shanghai_week(RatingRecord.created_at)
    good = func.sum(case((col(RatingRecord.score) >= GOOD_SCORE, 1), else_=0))
    query = (
        select(RatingRecord.thing, week, func.count(), good)
        .where(RatingRecord.department == OVERALL, *_within(RatingRecord.created_at, span))
        .group_by(RatingRecord.thing, week)
    )
    rows = [
        WeekRatings(thing, week_start(number), count, int(good)) for thing, number, count, good in session.exec(query)
    ]
    return sorted(rows, key=lambda row: (row.week, row.thing))
