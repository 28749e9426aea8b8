"""Sends the queued SMS and e-mail (persistence/message_outbox.py) through the `Transport`, one per worker.

The projection's transaction queues a notice's channels; this sender, a task beside each worker, takes the due
rows and sends each through the transport. A failed send waits with exponential backoff and jitter; after
`message_send_attempts` it is logged and dropped, as a notice never fails its case (the inbox row is there
already). Several workers each run one: a row is taken by one sender at a time (see the table's module), and the
transport sends each key once, so a lease that expires mid-send repeats nothing the citizen sees twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from datetime import timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session
from temporalio.exceptions import ApplicationError

from activities.messages import Outgoing, Transport
from core.clock import SYSTEM_CLOCK, Clock
from core.settings import Settings
from persistence.message_outbox import QueuedMessage, claim_due, retry_later, sent
from workflows.contracts import Channel

log = logging.getLogger("onething.messages")

BATCH = 20


class MessageSender:
    def __init__(self, engine: Engine, transport: Transport, settings: Settings, clock: Clock = SYSTEM_CLOCK) -> None:
        self._engine = engine
        self._transport = transport
        self._settings = settings
        self._clock = clock

    async def run(self, stop: asyncio.Event) -> None:
        """Sends what is due until `stop` is set; a failing round (the database away) is retried at the next poll."""
        while not stop.is_set():
            try:
                while await asyncio.to_thread(self.send_due) == BATCH:
                    pass  # a full batch: more may be due
            except Exception:
                log.exception("message sender: a round failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self._settings.message_poll_seconds)

    def send_due(self) -> int:
        """Takes the due rows and sends each; returns how many it took."""
        lease = timedelta(seconds=self._settings.message_lease_seconds)
        with Session(self._engine, expire_on_commit=False) as session:
            rows = claim_due(session, now=self._clock.now(), lease=lease, limit=BATCH)
            session.commit()
        done = [row.key for row in rows if self._send(row)]
        # The batch's sent rows go in one transaction: a crash before it resends them with the same keys, which
        # the transport has recorded, so nothing reaches the citizen twice.
        with Session(self._engine) as session:
            sent(session, keys=done)
            session.commit()
        return len(rows)

    def _send(self, row: QueuedMessage) -> bool:
        """Whether it went out; a failure is scheduled again (or given up) here."""
        outgoing = Outgoing(
            key=row.key, owner=row.owner, case_no=row.case_no, channel=Channel(row.channel), text=row.text
        )
        try:
            self._transport.send(outgoing)
        except Exception as error:
            self._failed(row, error)
            return False
        return True

    def _failed(self, row: QueuedMessage, error: Exception) -> None:
        # The error's kind only: its text may name the recipient.
        kind = type(error).__name__
        attempts = row.attempts + 1
        permanent = isinstance(error, ApplicationError) and error.non_retryable
        with Session(self._engine) as session:
            if permanent or attempts >= self._settings.message_send_attempts:
                log.warning("%s %s dropped after %s attempts (%s)", row.channel, row.key, attempts, kind)
                sent(session, keys=[row.key])
            else:
                retry_later(session, key=row.key, due_at=self._clock.now() + self._backoff(row, error), error=kind)
            session.commit()

    def _backoff(self, row: QueuedMessage, error: Exception) -> timedelta:
        asked = error.next_retry_delay if isinstance(error, ApplicationError) else None
        ceiling = self._settings.message_max_backoff_seconds
        seconds = min(ceiling, 2.0 ** min(row.attempts, 16)) * random.uniform(0.5, 1.0)  # jitter, not a secret
        return max(asked or timedelta(0), timedelta(seconds=seconds))
