"""The shared rate-limit counts (persistence/rate_limits.py): what several API processes counting one client at
once rely on. Two engines stand for two processes; on SQLite and, when given, PostgreSQL (tests/support/db.py)."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from persistence.rate_limits import SqlCounts
from tests.support.db import migrated_engine


def test_hits_counted_at_once_by_two_processes_get_distinct_consecutive_counts(tmp_path: Path) -> None:
    engines = [migrated_engine(tmp_path), migrated_engine(tmp_path)]
    counts = [SqlCounts(engine) for engine in engines]
    try:
        with ThreadPoolExecutor(max_workers=8) as pool:
            seen = list(pool.map(lambda n: counts[n % 2].incr("LIMITER/verify/k", 60), range(80)))
        # Each hit got its own count: none was lost or counted twice, whichever process counted it.
        assert sorted(seen) == list(range(1, 81))
        assert counts[0].get("LIMITER/verify/k") == counts[1].get("LIMITER/verify/k") == 80
    finally:
        for engine in engines:
            engine.dispose()


def test_a_window_that_ended_starts_again_and_is_dropped(tmp_path: Path) -> None:
    engine = migrated_engine(tmp_path)
    counts = SqlCounts(engine)
    try:
        assert [counts.incr("LIMITER/signin/a", 1) for _ in range(3)] == [1, 2, 3]
        assert counts.get_expiry("LIMITER/signin/a") > time.time()
        counts.incr("LIMITER/signin/b", 1)
        time.sleep(1.1)
        assert counts.get("LIMITER/signin/a") == 0  # its window is over
        assert counts.incr("LIMITER/signin/a", 60) == 1  # a new window, counted from this hit
        time.sleep(1.1)
        counts.incr("LIMITER/signin/c", 1)  # counting any key drops the windows that ended a window ago
        assert counts.reset() == 2  # a (its new window runs) and c: b's row was dropped
    finally:
        engine.dispose()
