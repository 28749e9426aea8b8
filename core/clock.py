"""The platform's "now" for what the API writes: the wall clock, or a simulation's clock.

Workflows take their time from the Temporal server (`workflow.now()`), the API and the persistence
functions from here. In production both are the wall clock. `onething simulate` runs weeks of cases on
the time-skipping server, whose clock jumps ahead; it aligns this clock with the server's after every
jump, so an application accepted, a rating given or a photo uploaded in simulated week 3 is stamped
with week 3, like the workflow's own times, and not with the few real minutes the run takes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta


class _Offset:
    """One per process on purpose: every request handler and persistence function reads the same clock."""

    value = timedelta(0)


def now() -> datetime:
    """Aware UTC; between two alignments it runs at the wall clock's rate, as the Temporal server's does."""
    return datetime.now(UTC) + _Offset.value


@contextmanager
def following() -> Iterator[Callable[[datetime], None]]:
    """Yields `align(instant)`: from then on now() reads `instant` and runs on; the wall clock is back after."""

    def align(instant: datetime) -> None:
        _Offset.value = instant - datetime.now(UTC)

    try:
        yield align
    finally:
        _Offset.value = timedelta(0)
