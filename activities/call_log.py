"""The department-health log's rows, written beside the calls instead of inside them (issue 15).

Every department call adds one row (persistence/department_calls.py). Written by the activity that made the
call, each row was a transaction of its own on the call's path: the activity, and so the item, waited for it.
Here the activity only hands the row over; one writer per worker process writes whatever has gathered in one
transaction, so calls that finish together share a commit and none waits for it.

What this gives up: a row handed over in the last moment before the worker process dies is lost. The log is an
observation of the departments' systems (the call itself is in the case's history and its result in the
projection), so a lost row makes a count one lower; it never loses a citizen's work. A graceful stop writes
what is pending (`drain`).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from persistence.db import session_scope
from persistence.department_calls import record_call

log = logging.getLogger("onething.departments")


@dataclass(frozen=True)
class LoggedCall:
    department: str
    operation: str
    outcome: str
    latency: timedelta
    attempt: int
    called_at: datetime


class CallLog:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._pending: list[LoggedCall] = []
        self._writer: asyncio.Task[None] | None = None

    def add(self, call: LoggedCall) -> None:
        """Queues the row and returns at once; the writer is started if none is at work."""
        self._pending.append(call)
        if self._writer is None or self._writer.done():
            self._writer = asyncio.get_running_loop().create_task(self._write_pending())

    async def drain(self) -> None:
        """Waits until every row added so far is written (or given up on with a warning)."""
        while self._writer is not None and not self._writer.done():
            await asyncio.shield(self._writer)

    async def _write_pending(self) -> None:
        while self._pending:
            batch, self._pending = self._pending, []
            try:
                await asyncio.to_thread(self._write, batch)  # off the event loop that runs the activities
            except SQLAlchemyError as error:
                # An observation: failing to write it must not fail (and so repeat) any call.
                log.warning("%d department call(s) not logged for health: %s", len(batch), type(error).__name__)

    def _write(self, batch: list[LoggedCall]) -> None:
        with session_scope(self._engine) as session:
            for call in batch:
                record_call(
                    session,
                    department=call.department,
                    operation=call.operation,
                    outcome=call.outcome,
                    latency=call.latency,
                    attempt=call.attempt,
                    called_at=call.called_at,
                )
