"""The department-health query on a large call log, timed.

    uv run python -m benchmarks.department_health --calls 1000000

Fills a fresh SQLite file (WAL, the projection's pragmas) with `--calls` department calls spread over
30 days across 10 departments: latencies around each department's own typical value, 1 % failures, a
few retried attempts, a data pipeline polled repeatedly, and one two-hour outage for one department
on day 29. Then times `department_health` over the last day, the last week and all 30 days (best of
three runs each), and what one call costs to log (`record_call` in its own transaction, as the activity
writes it). Figures: docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlmodel import Session

from persistence.db import make_engine, session_scope
from persistence.department_calls import DepartmentCall, department_health, record_call
from persistence.migrate import upgrade

DEPARTMENTS = [f"dept_{n:02d}" for n in range(10)]
DAYS = 30
END = datetime(2026, 12, 1, tzinfo=UTC)
START = END - timedelta(days=DAYS)
OUTAGE = (END - timedelta(days=1, hours=6), END - timedelta(days=1, hours=4))


def calls(count: int, rng: random.Random) -> Iterator[dict[str, object]]:
    step = timedelta(days=DAYS) / count
    for n in range(count):
        department = DEPARTMENTS[n % len(DEPARTMENTS)]
        called_at = START + step * n
        down = department == DEPARTMENTS[0] and OUTAGE[0] <= called_at < OUTAGE[1]
        outcome = "unavailable" if down or rng.random() < 0.01 else "ok"
        operation = "pull" if department == DEPARTMENTS[1] else "submit"
        yield {
            "department": department,
            "operation": operation,
            "outcome": outcome,
            "latency_ms": int(rng.lognormvariate(5 + DEPARTMENTS.index(department) / 5, 0.5)),
            "attempt": rng.choice((1, 1, 1, 1, 2)) if operation == "submit" else rng.randint(1, 6),
            "called_at": called_at,
        }


def fill(session: Session, count: int) -> None:
    rng, batch = random.Random(4), []
    for row in calls(count, rng):
        batch.append(row)
        if len(batch) == 50_000:
            session.bulk_insert_mappings(DepartmentCall, batch)  # type: ignore[arg-type]
            batch.clear()
    if batch:
        session.bulk_insert_mappings(DepartmentCall, batch)  # type: ignore[arg-type]


def best_of(runs: int, window: timedelta, session: Session) -> tuple[float, int]:
    timings, rows = [], 0
    for _ in range(runs):
        started = time.perf_counter()
        rows = len(department_health(session, since=END - window, until=END, now=END))
        timings.append(time.perf_counter() - started)
    return min(timings), rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=1_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'health.db'}"
        upgrade(url)  # made by the migrations, as `onething db upgrade` does
        engine = make_engine(url)
        started = time.perf_counter()
        with session_scope(engine) as session:
            fill(session, args.calls)
        print(f"filled {args.calls:,} calls in {time.perf_counter() - started:.1f} s")
        per_day = args.calls // DAYS
        print("| window | calls in it | departments | department_health, best of 3 |")
        print("|---|---|---|---|")
        with Session(engine) as session:
            for label, days in (("last day", 1), ("last 7 days", 7), ("all 30 days", 30)):
                seconds, departments = best_of(3, timedelta(days=days), session)
                print(f"| {label} | {per_day * days:,} | {departments} | {seconds * 1000:.0f} ms |")
        writes = 200
        started = time.perf_counter()
        for n in range(writes):
            with session_scope(engine) as session:
                record_call(
                    session,
                    department=DEPARTMENTS[n % 10],
                    operation="submit",
                    outcome="ok",
                    latency=timedelta(milliseconds=120),
                    attempt=1,
                    called_at=END + timedelta(seconds=n),
                )
        print(f"logging one call (own transaction): {(time.perf_counter() - started) / writes * 1000:.2f} ms")
        engine.dispose()


if __name__ == "__main__":
    main()
