"""Department system health: every back-end call the worker makes, and what supervisors read from them.

A department that is slow to *decide* shows in the case projection (lights, handling days); this log
shows whether its *system* answers at all, how fast, and how often the worker had to try again, so a
supervisor can tell the two apart. One row per HTTP call, written by the activity that made it.

Read over a time window with two grouped scans of a covering index (counts, latency distribution) and
one look-up per failed call for the next answer (outages), so the cost grows with the window and the
failures in it, not with the table; the same SQL runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta

from pydantic import BaseModel
from sqlalchemy import ColumnElement, Index, and_, case, func
from sqlalchemy.orm import aliased
from sqlalchemy.sql.selectable import ScalarSelect
from sqlmodel import Field, Session, SQLModel, col, select

from persistence.tables import UTCDateTime

OK, REFUSED, UNAVAILABLE = "ok", "refused", "unavailable"
OUTCOMES = (OK, REFUSED, UNAVAILABLE)
POLLING_OPERATIONS = ("pull",)
"""Operations repeated by design (a data pipeline polled until its batch is done): repeats are no retries."""
OUTAGE_MIN_FAILURES = 3
"""Unavailable answers in a row, with no answer between, that make an outage rather than a blip."""


class DepartmentCall(SQLModel, table=True):
    __tablename__ = "department_calls"
    __table_args__ = (
        # Covers the grouped scans of a window: the rows are never visited.
        Index("ix_department_calls_window", "called_at", "department", "outcome", "latency_ms", "attempt", "operation"),
        # A department's calls of one outcome in time order: failures in a window, the next answer after one.
        Index("ix_department_calls_runs", "department", "outcome", "called_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    department: str = Field(max_length=64)
    operation: str = Field(max_length=24)
    outcome: str = Field(max_length=16)
    latency_ms: int
    attempt: int
    """Temporal's attempt number of the activity: above 1 the worker is trying again."""
    called_at: datetime = Field(sa_type=UTCDateTime)


class Outages(BaseModel):
    count: int
    total_seconds: float
    down: bool
    """The last outage in the window had not ended by its end (for a window ending now: down right now)."""
    down_since: datetime | None


class DepartmentHealth(BaseModel):
    department: str
    calls: int
    ok: int
    refused: int
    """The department's system answered and refused the request (4xx): it is up, the request was not valid."""
    unavailable: int
    """No usable answer: 5xx, an outage, a time-out or a network error."""
    error_rate: float
    """unavailable / calls: the share of calls the system failed to answer."""
    p50_latency_ms: int | None
    p90_latency_ms: int | None
    """Over successful calls only; failures are counted above, not timed."""
    retries: int
    outages: Outages


def record_call(
    session: Session,
    *,
    department: str,
    operation: str,
    outcome: str,
    latency: timedelta,
    attempt: int,
    called_at: datetime,
) -> None:
    if outcome not in OUTCOMES:
        raise ValueError(f"outcome must be one of {', '.join(OUTCOMES)}, not {outcome!r}")
    session.add(
        DepartmentCall(
            department=department,
            operation=operation,
            outcome=outcome,
            latency_ms=round(latency.total_seconds() * 1000),
            attempt=attempt,
            called_at=called_at,
        )
    )


def department_health(
    session: Session, *, since: datetime, until: datetime, now: datetime, min_failures: int = OUTAGE_MIN_FAILURES
) -> list[DepartmentHealth]:
    """Per department with calls in [since, until): counts, error rate, latency, retries and outages (an outage
    still going on lasts to `until`, or to `now` for a window that ends later)."""
    in_window = and_(col(DepartmentCall.called_at) >= since, col(DepartmentCall.called_at) < until)
    counts = _outcome_counts(session, in_window)
    latencies = _ok_latencies(session, in_window)
    failing = [department for department, by_outcome in counts.items() if by_outcome[UNAVAILABLE][0]]
    outages = _outages(session, in_window, failing, until=until, now=now, min_failures=min_failures)
    report = []
    for department in sorted(counts):
        by_outcome = counts[department]
        calls = sum(n for n, _ in by_outcome.values())
        unavailable = by_outcome[UNAVAILABLE][0]
        distribution = latencies.get(department, Counter())
        report.append(
            DepartmentHealth(
                department=department,
                calls=calls,
                ok=by_outcome[OK][0],
                refused=by_outcome[REFUSED][0],
                unavailable=unavailable,
                error_rate=unavailable / calls,
                p50_latency_ms=_percentile(distribution, 0.5),
                p90_latency_ms=_percentile(distribution, 0.9),
                retries=sum(retried for _, retried in by_outcome.values()),
                outages=outages.get(department, Outages(count=0, total_seconds=0.0, down=False, down_since=None)),
            )
        )
    return report


def _outcome_counts(session: Session, in_window: ColumnElement[bool]) -> dict[str, dict[str, tuple[int, int]]]:
    """department → outcome → (calls, retries)."""
    retried = case(
        (and_(col(DepartmentCall.attempt) > 1, col(DepartmentCall.operation).not_in(POLLING_OPERATIONS)), 1),
        else_=0,
    )
    query = (
        select(DepartmentCall.department, DepartmentCall.outcome, func.count(), func.sum(retried))
        .where(in_window)
        .group_by(col(DepartmentCall.department), col(DepartmentCall.outcome))
    )
    counts: dict[str, dict[str, tuple[int, int]]] = defaultdict(lambda: dict.fromkeys(OUTCOMES, (0, 0)))
    for department, outcome, calls, retries in session.exec(query):
        counts[department][outcome] = (calls, retries or 0)
    return counts


def _ok_latencies(session: Session, in_window: ColumnElement[bool]) -> dict[str, Counter[int]]:
    """department → latency in ms → calls: exact percentiles without sorting rows, on any database."""
    query = (
        select(DepartmentCall.department, DepartmentCall.latency_ms, func.count())
        .where(in_window, col(DepartmentCall.outcome) == OK)
        .group_by(col(DepartmentCall.department), col(DepartmentCall.latency_ms))
    )
    latencies: dict[str, Counter[int]] = defaultdict(Counter)
    for department, latency_ms, calls in session.exec(query):
        latencies[department][latency_ms] = calls
    return latencies


def _percentile(distribution: Counter[int], share: float) -> int | None:
    """Nearest rank: the smallest latency at or below which `share` of the calls fall."""
    total = sum(distribution.values())
    if total == 0:
        return None
    rank, seen = share * total, 0
    for latency in sorted(distribution):
        seen += distribution[latency]
        if seen >= rank:
            return latency
    return max(distribution)


def _outages(
    session: Session,
    in_window: ColumnElement[bool],
    departments: list[str],
    *,
    until: datetime,
    now: datetime,
    min_failures: int,
) -> dict[str, Outages]:
    """Runs of unavailable answers: failures that share the same next answer belong to one run."""
    if not departments:
        return {}
    answer = aliased(DepartmentCall)

    def next_answer(outcome: str) -> ScalarSelect[datetime]:
        # One index seek per failure on (department, outcome, called_at); ok and refused both end a run.
        return (
            select(func.min(answer.called_at))
            .where(
                answer.department == DepartmentCall.department,
                answer.outcome == outcome,
                col(answer.called_at) > DepartmentCall.called_at,
                col(answer.called_at) < until,
            )
            .scalar_subquery()
        )

    query = (
        select(DepartmentCall.department, DepartmentCall.called_at, next_answer(OK), next_answer(REFUSED))
        .where(in_window, col(DepartmentCall.department).in_(departments), col(DepartmentCall.outcome) == UNAVAILABLE)
        .order_by(col(DepartmentCall.department), col(DepartmentCall.called_at))
    )
    runs: dict[tuple[str, datetime | None], list[datetime]] = defaultdict(list)
    for department, failed_at, next_ok, next_refused in session.exec(query):
        ended_at = min((at for at in (next_ok, next_refused) if at is not None), default=None)
        runs[(department, ended_at)].append(failed_at)
    return _summarise(runs.items(), until=until, now=now, min_failures=min_failures)


def _summarise(
    runs: Iterable[tuple[tuple[str, datetime | None], list[datetime]]],
    *,
    until: datetime,
    now: datetime,
    min_failures: int,
) -> dict[str, Outages]:
    summaries: dict[str, Outages] = {}
    for (department, ended_at), failures in runs:
        if len(failures) < min_failures:
            continue
        started_at = min(failures)
        # One still going on lasts to the window's end, or to now for a window ending later; calls logged
        # ahead of the host's clock (a time-skipping simulation) count to their last failure.
        lasted_to = ended_at or min(until, max(now, max(failures)))
        summary = summaries.setdefault(department, Outages(count=0, total_seconds=0.0, down=False, down_since=None))
        summary.count += 1
        summary.total_seconds += (lasted_to - started_at).total_seconds()
        if ended_at is None:
            summary.down, summary.down_since = True, started_at
    return summaries
