"""The platform's "now": one object, injected wherever time is read, never a process-wide setting.

Workflows take their time from the Temporal server (`workflow.now()`); the API, the services, the
persistence writes and the worker's activities take it from the `Clock` their process was built with. In
production that is `SystemClock`. `onething simulate` runs weeks of cases on the time-skipping server, whose
clock jumps ahead; it builds the API and worker with a `FollowingClock` and aligns it with the server after
every jump, so an application accepted, a claim made or a photo uploaded in simulated week 3 is stamped with
week 3 and the queue's lights are judged in week 3 too — like the workflow's own times.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """Aware UTC."""
        ...


class SystemClock:
    """The wall clock."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class FollowingClock:
    """Follows another clock that is ahead or behind (a time-skipping server): after `align(instant)` it
    reads `instant` and runs on at the wall clock's rate, as the time-skipping server's own clock does."""

    def __init__(self) -> None:
        self._offset = timedelta(0)

    def now(self) -> datetime:
        return datetime.now(UTC) + self._offset

    def align(self, instant: datetime) -> None:
        self._offset = instant - datetime.now(UTC)


SYSTEM_CLOCK = SystemClock()
"""Stateless, so one instance serves every default; a simulation passes its own clock instead."""
