"""Data-pipeline mode: submissions pile up and are decided together, one batch per department interval.

Nothing is pushed to the platform; it pulls results with GET .../submissions/{key}. Pending work is the
set of undecided batch records in the database, so a restart simply picks them up on the next run.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import defaultdict

from sqlalchemy.engine import Engine

from departments.behaviour import StubConfig
from departments.callbacks import decide_record
from departments.models import StubRecord
from departments.store import pending_batch

log = logging.getLogger("onething.departments.batch")
TICK_SECONDS = 0.05
"""How often the processor looks for due departments; the intervals themselves are per department."""


class BatchProcessor:
    def __init__(self, engine: Engine, config: StubConfig) -> None:
        self._engine = engine
        self._config = config
        self._last_run: dict[str, float] = {}
        self._started = time.monotonic()

    def run_due(self, now: float | None = None) -> int:
        """Decide the pending records of every department whose interval has elapsed; how many decided."""
        now = time.monotonic() if now is None else now
        by_department: dict[str, list[StubRecord]] = defaultdict(list)
        for record in pending_batch(self._engine):
            by_department[record.department].append(record)
        decided = 0
        for department, records in by_department.items():
            interval = self._config.behaviour(department).batch_interval_ms / 1000
            if now - self._last_run.get(department, self._started) < interval:
                continue
            self._last_run[department] = now
            for record in records:
                if record.id is not None:
                    decide_record(self._engine, self._config, record.id)
                    decided += 1
            log.info("batch run for %s decided %d record(s)", department, len(records))
        return decided

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                self.run_due()
            except Exception:
                # One bad run must not end the pipeline; the records stay pending for the next run.
                log.exception("batch run failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=TICK_SECONDS)
