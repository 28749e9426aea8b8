"""Accepted means started: the starter delivers the commands the outbox holds (persistence/outbox.py).

An accepted application's start is written in the acceptance's own transaction. The request that accepted it
tries to start the workflow at once (`start_now`); if Temporal cannot be reached the application stays accepted
and the starter retries with backoff until the workflow exists. Starting is idempotent by the workflow id (the
case number), and Temporal answering "already started" counts as delivered.

Where it runs: in every API process, as a task of the app's lifespan. The API is the process that accepts, so a
starter runs wherever something can be accepted, with the Temporal client and database pool it already has; a
restarted API picks up what a killed one left. Several API processes are safe: each takes rows with a lease that
only one of them wins, and a lease that expires mid-delivery costs at most a repeated, idempotent start.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import partial

from anyio import to_thread
from sqlalchemy.engine import Engine
from sqlmodel import Session

from core.clock import Clock
from core.settings import Settings
from persistence.outbox import (
    OutboxCommand,
    add_command,
    claim_due,
    claim_for_case,
    delivered,
    delivered_for_case,
    pending_for_case,
    release,
    retry_later,
)
from services.case_gateway import CaseGateway
from services.errors import UnavailableError
from workflows.contracts import BundleInput

log = logging.getLogger("onething.outbox")

START = "start"
"""The one kind of command the outbox holds: see services/case_gateway.py for why the others are not deferred."""
BATCH = 20


def record_start(
    session: Session, bundle: BundleInput, *, now: datetime, first_try_after: timedelta, lease: timedelta
) -> OutboxCommand:
    """The start intent, in the caller's transaction (the acceptance's), leased to the accepting request: it is
    taken as it commits, so `start_now` needs no transaction of its own to claim it. The starter leaves it to the
    request for `first_try_after` (and while the lease runs), so the two seldom send the same start."""
    return add_command(
        session,
        kind=START,
        case_no=bundle.case_no,
        payload=bundle.model_dump_json(),
        now=now,
        due_at=now + first_try_after,
        leased_until=now + lease,
    )


async def start_now(
    session: Session,
    cases: CaseGateway,
    bundle: BundleInput,
    *,
    now: datetime,
    lease: timedelta,
    held: list[int] | None = None,
) -> bool:
    """Starts the case's workflow from the accepting request (or a repeat of it); True once its start is delivered,
    False while it waits in the outbox for the starter (Temporal unreachable, or another process delivering it).
    `held`: the start rows the caller leased as it recorded them (`record_start`); None: claim them here first.

    The caller's transaction must be committed: no database connection is held while Temporal is called."""
    if held is None:
        claimed, pending = await to_thread.run_sync(partial(_claim_case, session, bundle.case_no, now=now, lease=lease))
        if not claimed:
            return not pending  # started already, or another process is starting it right now
    else:
        claimed = held
    try:
        await cases.start(bundle)
    except UnavailableError:
        log.info("start deferred to the outbox: the case engine is unreachable")
        await to_thread.run_sync(partial(_release, session, claimed, due_at=now + backoff(1, ceiling=2.0)))
        return False
    await to_thread.run_sync(partial(_delivered_case, session, bundle.case_no))
    return True


def _claim_case(session: Session, case_no: str, *, now: datetime, lease: timedelta) -> tuple[list[int], bool]:
    """The case's start rows this request took, and whether any (taken or not) still waits."""
    taken = [row.id for row in claim_for_case(session, case_no=case_no, kind=START, now=now, lease=lease) if row.id]
    pending = bool(taken) or pending_for_case(session, case_no=case_no, kind=START)
    session.commit()
    return taken, pending


def _release(session: Session, command_ids: list[int], *, due_at: datetime) -> None:
    for command_id in command_ids:
        retry_later(session, command_id=command_id, due_at=due_at, error="UnavailableError")
    session.commit()


def _delivered_case(session: Session, case_no: str) -> None:
    delivered_for_case(session, case_no=case_no, kind=START)
    session.commit()


def backoff(attempts: int, *, ceiling: float) -> timedelta:
    """Exponential from 1 s up to `ceiling`, with jitter so starters of several processes do not march in step."""
    seconds = min(ceiling, 2.0 ** min(attempts, 16))
    return timedelta(seconds=seconds * random.uniform(0.5, 1.0))  # jitter, not a secret


class Starter:
    """Delivers due outbox rows until stopped; one per API process."""

    def __init__(self, engine: Engine, cases: CaseGateway, settings: Settings, clock: Clock) -> None:
        self._engine = engine
        self._cases = cases
        self._settings = settings
        self._clock = clock

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                while await self.deliver_due() == BATCH:
                    pass  # a full batch: more may be due
            except Exception:
                # The database may be away too; the rows wait, nothing is lost. Try again at the next poll.
                log.exception("outbox: delivery round failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self._settings.outbox_poll_seconds)

    async def deliver_due(self) -> int:
        """Takes and delivers the due rows; returns how many it took. Once Temporal proves unreachable the rest of
        the batch is released at once, not each tried against the timeout while its lease runs out."""
        rows = await to_thread.run_sync(self._claim_due)
        for index, row in enumerate(rows):
            if not await self._deliver(row):
                rest = [r.id for r in rows[index + 1 :] if r.id is not None]
                await self._in_session(partial(release, command_ids=rest))
                return 0
        return len(rows)

    def _claim_due(self) -> list[OutboxCommand]:
        lease = timedelta(seconds=self._settings.outbox_lease_seconds)
        with Session(self._engine, expire_on_commit=False) as session:
            rows = claim_due(session, now=self._clock.now(), lease=lease, limit=BATCH)
            session.commit()
            return rows

    async def _deliver(self, row: OutboxCommand) -> bool:
        """False when the case engine was unreachable (the row waits for its next attempt)."""
        assert row.id is not None
        try:
            await self._send(row)
        except UnavailableError:
            due = self._clock.now() + backoff(row.attempts, ceiling=self._settings.outbox_max_backoff_seconds)
            await self._in_session(partial(retry_later, command_id=row.id, due_at=due, error="UnavailableError"))
            return False
        except Exception as error:
            # Not Temporal being away: a bug or a payload this release cannot read. Kept and retried slowly, and
            # logged with the row's id and the error's kind only: its text may quote the payload (a person's data).
            log.error("outbox: command %s (%s) failed: %s", row.id, row.kind, type(error).__name__)
            due = self._clock.now() + timedelta(seconds=self._settings.outbox_max_backoff_seconds)
            await self._in_session(partial(retry_later, command_id=row.id, due_at=due, error=type(error).__name__))
            return True
        await self._in_session(partial(delivered, command_id=row.id))
        log.info("outbox: delivered %s after %s failed attempts", row.kind, row.attempts)
        return True

    async def _send(self, row: OutboxCommand) -> None:
        if row.kind != START:
            raise ValueError(f"unknown outbox command kind {row.kind!r}")
        await self._cases.start(BundleInput.model_validate_json(row.payload))

    async def _in_session(self, write: Callable[..., None]) -> None:
        def run() -> None:
            with Session(self._engine) as session:
                write(session)
                session.commit()

        await to_thread.run_sync(run)
