"""The stubs' clock: the wall clock, unless a simulation sets it (`PUT /admin/clock`).

A department that takes days to decide cannot be simulated in real days. When a simulation drives the
platform on Temporal's time-skipping server, it moves this clock along with the server's after every
jump; the stubs then judge latency, handling time, batch runs and outages on it, so a decision due in
simulated time is taken in simulated time. Between two moves it runs at the wall clock's rate, like
the time-skipping server's own clock. It never goes back: decisions already taken stay taken.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime, timedelta


class StubClock:
    def __init__(self) -> None:
        self._offset = timedelta(0)
        self.simulated = False
        self._moved = asyncio.Event()

    def now(self) -> datetime:
        return datetime.now(UTC) + self._offset

    def move_to(self, instant: datetime) -> datetime:
        """Sets the clock to `instant`; once simulated, an instant earlier than now leaves it where it is.

        The first move may go anywhere (a simulation may begin weeks before the wall clock's today).
        Returns the clock's time.
        """
        instant = instant if instant.tzinfo else instant.replace(tzinfo=UTC)
        if not self.simulated or instant > self.now():
            self._offset = instant - datetime.now(UTC)
        self.simulated = True
        # Wake every waiter: each re-reads the clock and either proceeds or waits again.
        self._moved.set()
        self._moved = asyncio.Event()
        return self.now()

    async def wait_until(self, moment: datetime | None) -> None:
        """Returns once the clock reads `moment` or later, whether by waiting or by being moved there."""
        while moment is not None:
            remaining = (moment - self.now()).total_seconds()
            if remaining <= 0:
                return
            moved = self._moved
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(moved.wait(), timeout=remaining)
