"""The department-health figures on a known log of calls, checked against hand-computed values."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import Session

from persistence.db import session_scope
from persistence.department_calls import DepartmentHealth, department_health, record_call
from tests.support.db import migrated_engine

T0 = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
UNTIL = T0 + timedelta(seconds=60)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


# (department, operation, outcome, latency ms, attempt, seconds after T0)
CALLS = [
    # alpha: nine answers of 100…900 ms, a 7-second outage of three failures, then a one-off blip.
    *(("alpha", "submit", "ok", 100 * n, 1, float(n)) for n in range(1, 10)),
    ("alpha", "submit", "unavailable", 5, 1, 10.0),
    ("alpha", "submit", "unavailable", 5, 2, 11.0),
    ("alpha", "submit", "unavailable", 5, 3, 13.0),
    ("alpha", "submit", "ok", 1000, 4, 17.0),
    ("alpha", "submit", "unavailable", 5, 1, 30.0),
    ("alpha", "submit", "ok", 100, 2, 31.0),
    # beta: a refusal, a data pipeline polled five times (no retries), then down from 50 s on.
    ("beta", "submit", "refused", 40, 1, 2.0),
    ("beta", "pull", "ok", 20, 5, 3.0),
    ("beta", "submit", "unavailable", 30000, 1, 50.0),
    ("beta", "submit", "unavailable", 30000, 2, 52.0),
    ("beta", "submit", "unavailable", 30000, 3, 56.0),
    # gamma: failures split by a refusal (the system answered): two runs of two, no outage.
    ("gamma", "withdraw", "unavailable", 5, 1, 1.0),
    ("gamma", "withdraw", "unavailable", 5, 2, 2.0),
    ("gamma", "withdraw", "refused", 5, 3, 4.0),
    ("gamma", "escalate", "unavailable", 5, 1, 5.0),
    ("gamma", "escalate", "unavailable", 5, 2, 6.0),
    # outside [T0, UNTIL): never counted
    ("alpha", "submit", "unavailable", 5, 1, -1.0),
    ("delta", "submit", "ok", 5, 1, 60.0),
]


@pytest.fixture
def session(tmp_path: Path) -> Iterator[Session]:
    engine = migrated_engine(tmp_path / "health")
    with session_scope(engine) as writing:
        for department, operation, outcome, latency_ms, attempt, seconds in CALLS:
            record_call(
                writing,
                department=department,
                operation=operation,
                outcome=outcome,
                latency=timedelta(milliseconds=latency_ms),
                attempt=attempt,
                called_at=at(seconds),
            )
    with Session(engine) as reading:
        yield reading
    engine.dispose()


def by_department(session: Session, until: datetime = UNTIL) -> dict[str, DepartmentHealth]:
    return {row.department: row for row in department_health(session, since=T0, until=until, now=until)}


def test_counts_rates_latency_and_retries(session: Session) -> None:
    health = by_department(session)
    assert set(health) == {"alpha", "beta", "gamma"}
    alpha = health["alpha"]
    assert (alpha.calls, alpha.ok, alpha.refused, alpha.unavailable) == (15, 11, 0, 4)
    assert alpha.error_rate == pytest.approx(4 / 15)
    # ok latencies 100…900, 1000, 100 → sorted 100, 100, 200 … 900, 1000: 6th of 11 is 500, 10th is 900.
    assert (alpha.p50_latency_ms, alpha.p90_latency_ms) == (500, 900)
    assert alpha.retries == 4  # attempts 2, 3, 4 of the outage and the blip's second attempt
    beta = health["beta"]
    assert (beta.calls, beta.ok, beta.refused, beta.unavailable) == (5, 1, 1, 3)
    assert beta.retries == 2  # the data pipeline's fifth poll is no retry
    assert (beta.p50_latency_ms, beta.p90_latency_ms) == (20, 20)  # failures are not timed
    gamma = health["gamma"]
    assert (gamma.p50_latency_ms, gamma.p90_latency_ms) == (None, None)
    assert gamma.error_rate == pytest.approx(4 / 5)


def test_outages_are_runs_of_failures_with_no_answer_between(session: Session) -> None:
    health = by_department(session)
    alpha = health["alpha"].outages
    assert (alpha.count, alpha.total_seconds, alpha.down) == (1, 7.0, False)  # 10 s → first answer at 17 s
    beta = health["beta"].outages
    assert (beta.count, beta.down, beta.down_since) == (1, True, at(50))
    assert beta.total_seconds == 10.0  # still down: counted to the window's end
    gamma = health["gamma"].outages
    assert (gamma.count, gamma.total_seconds, gamma.down) == (0, 0.0, False)


def test_a_window_ending_inside_an_outage_is_down_at_its_end(session: Session) -> None:
    alpha = by_department(session, until=at(15))["alpha"]
    assert (alpha.outages.count, alpha.outages.down, alpha.outages.down_since) == (1, True, at(10))
    assert alpha.outages.total_seconds == 5.0
    assert alpha.calls == 12


def test_a_failure_count_below_the_threshold_is_no_outage(session: Session) -> None:
    health = {
        row.department: row for row in department_health(session, since=T0, until=UNTIL, now=UNTIL, min_failures=2)
    }
    assert health["gamma"].outages.count == 2  # with a threshold of two, both of gamma's runs count
    assert health["alpha"].outages.count == 1  # the blip is one failure


def test_an_open_outage_ahead_of_the_clock_lasts_to_its_last_failure(tmp_path: Path) -> None:
    """A time-skipping simulation logs calls in the future: the open outage is not cut at the host's now."""
    engine = migrated_engine(tmp_path / "future")
    future = datetime.now(UTC) + timedelta(days=30)
    with session_scope(engine) as writing:
        for seconds in (0, 10, 40):
            record_call(
                writing,
                department="alpha",
                operation="submit",
                outcome="unavailable",
                latency=timedelta(milliseconds=5),
                attempt=1,
                called_at=future + timedelta(seconds=seconds),
            )
    with Session(engine) as reading:
        [alpha] = department_health(reading, since=future, until=future + timedelta(days=1), now=datetime.now(UTC))
    engine.dispose()
    assert (alpha.outages.count, alpha.outages.down, alpha.outages.total_seconds) == (1, True, 40.0)
