"""Data-pipeline mode: submissions pile up and are decided together, one batch per department interval.

They arrive as the platform's batch files (departments/exchange.py) or posted with mode batch; results go
back as result files (and can be pulled with GET .../submissions/{key}), or, for a submission that carries a
callback_url (the platform's registry says `batch_results: callback`), are posted to it signed, as the async
mode's are (departments/callbacks.py). Pending work is the set of
undecided batch records in the database, so a restart simply picks them up on the next run.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict

from sqlalchemy.engine import Engine

from departments.behaviour import StubConfig
from departments.callbacks import CallbackDispatcher, decide_record
from departments.clock import StubClock
from departments.exchange import FileExchange
from departments.models import StubRecord
from departments.store import pending_batch

log = logging.getLogger("onething.departments.batch")
TICK_SECONDS = 0.05
"""How often the processor looks for due departments; the intervals themselves are per department."""


class BatchProcessor:
    """Runs on the stubs' clock, so a nightly batch (batch_interval_ms 86400000) is nightly in a simulation too."""

    def __init__(
        self,
        engine: Engine,
        config: StubConfig,
        clock: StubClock,
        files: FileExchange | None = None,
        callbacks: CallbackDispatcher | None = None,
    ) -> None:
        self._files = files
        self._callbacks = callbacks
        """Posts the decisions of submissions that came with a callback_url; None leaves them to be pulled."""
        self._engine = engine
        self._config = config
        self._clock = clock
        self._last_run: dict[str, int] = {}
        """The slot of each department's last run: its first run is at the next slot after work waits."""

    async def run_due(self) -> int:
        """Take the platform's batch files, decide the pending records of every department whose interval has
        elapsed, and leave the decisions owed as result files; how many decided."""
        if self._files is not None:
            await self._files.take()
        decided = self._decide_due()
        if self._files is not None:
            self._files.write_results()
        return decided

    def _decide_due(self) -> int:
        now = self._clock.now()
        by_department: dict[str, list[StubRecord]] = defaultdict(list)
        for record in pending_batch(self._engine, now=now):
            by_department[record.department].append(record)
        decided = 0
        for department, records in by_department.items():
            # Runs fall on the clock's multiples of the interval (a daily batch at midnight UTC), so the schedule
            # needs no state that a restart or a simulated clock set back would confuse.
            slot = int(now.timestamp() * 1000) // self._config.behaviour(department).batch_interval_ms
            last = self._last_run.setdefault(department, slot)
            if slot == last:
                continue
            self._last_run[department] = slot
            for record in records:
                if record.id is not None:
                    decided_record = decide_record(self._engine, self._config, record.id, now)
                    if self._callbacks is not None:
                        self._callbacks.ensure(decided_record)  # only a record that owes a callback starts one
                    decided += 1
            log.info("batch run for %s decided %d record(s)", department, len(records))
        return decided

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self.run_due()
            except Exception:
                # One bad run must not end the pipeline; the records stay pending for the next run.
                log.exception("batch run failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=TICK_SECONDS)
