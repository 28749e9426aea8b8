"""Async-callback mode: decide after the latency, then deliver a signed callback until the platform takes it.

The state lives in the record (`callback_state`), not in memory, so a restarted stub resumes every
callback that was scheduled or undelivered when it stopped. Delivery is at-least-once; the platform
dedupes on the idempotency key.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
from datetime import datetime
from typing import Any

import httpx
from sqlalchemy.engine import Engine

from core.signing import department_key, key_bytes, signed_headers
from departments.behaviour import StubConfig
from departments.clock import StubClock
from departments.models import CallbackState, StubRecord, as_utc
from departments.outputs import decide
from departments.store import apply_decision, get_record_by_id, set_callback_state

log = logging.getLogger("onething.departments.callbacks")
RETRYABLE_4XX = frozenset({409, 425, 429})
"""Refusals that mean "not now" (conflict, too early, too many): the platform may take it later."""


def callback_body(record: StubRecord) -> bytes:
    body: dict[str, Any] = {
        "idempotency_key": record.idempotency_key,
        "case_no": record.case_no,
        "item_code": record.item_code,
        "receipt_no": record.receipt_no,
        "status": record.status,
        "output": record.output,
        "reason": record.reason,
    }
    # The signature covers these exact bytes, so they are sent as they are, never re-serialised.
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


def decide_record(engine: Engine, config: StubConfig, record_id: int, now: datetime) -> StubRecord:
    """Decide with the department's current behaviour (shared by sync, async and batch modes)."""

    def decider(record: StubRecord) -> Any:
        behaviour = config.behaviour(record.department)
        return decide(record.department, record.idempotency_key, record.outputs, record.payload_fields, behaviour)

    return apply_decision(engine, record_id=record_id, decider=decider, now=now)


class CallbackDispatcher:
    """One task per async record that still owes the platform a callback."""

    def __init__(self, engine: Engine, config: StubConfig, secret_key: str, clock: StubClock) -> None:
        self._engine = engine
        self._config = config
        self._clock = clock
        self._secret_key = secret_key
        self._tasks: dict[int, asyncio.Task[None]] = {}
        self._http = httpx.AsyncClient(timeout=config.callback_timeout_s)

    def ensure(self, record: StubRecord) -> None:
        """Start the record's task unless one is running (duplicates and restarts call this freely)."""
        if record.id is None or record.callback_state not in CallbackState.ACTIVE:
            return
        task = self._tasks.get(record.id)
        if task is None or task.done():
            self._tasks[record.id] = asyncio.create_task(self._run(record.id), name=f"callback-{record.id}")

    def cancel(self, record_id: int | None) -> None:
        task = self._tasks.pop(record_id, None) if record_id is not None else None
        if task is not None:
            task.cancel()

    async def aclose(self) -> None:
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._tasks.clear()
        await self._http.aclose()

    async def _run(self, record_id: int) -> None:
        try:
            record = get_record_by_id(self._engine, record_id=record_id)
            if record is None:
                return
            if record.callback_state == CallbackState.SCHEDULED:
                await self._clock.wait_until(as_utc(record.decide_at))
                record = decide_record(self._engine, self._config, record_id, self._clock.now())
            await self._deliver(record_id, record.callback_attempts)
        except asyncio.CancelledError:
            raise
        except Exception:
            # The state stays active in the database: the next restart (or duplicate submission) retries.
            log.exception("callback task of record %s failed", record_id)
        finally:
            current = asyncio.current_task()
            if self._tasks.get(record_id) is current:
                del self._tasks[record_id]

    async def _deliver(self, record_id: int, attempts: int) -> None:
        while True:
            record = get_record_by_id(self._engine, record_id=record_id)
            if record is None or record.callback_state != CallbackState.PENDING:
                return  # withdrawn (cancelled) meanwhile, or already delivered
            attempts += 1
            outcome = await self._post(record)
            if outcome == "delivered":
                set_callback_state(self._engine, record_id=record_id, state=CallbackState.DELIVERED, attempts=attempts)
                log.info(
                    "callback delivered: %s %s after %d attempt(s)", record.department, record.receipt_no, attempts
                )
                return
            if outcome == "refused":
                set_callback_state(self._engine, record_id=record_id, state=CallbackState.FAILED, attempts=attempts)
                return
            set_callback_state(self._engine, record_id=record_id, state=CallbackState.PENDING, attempts=attempts)
            await asyncio.sleep(self._backoff(attempts))

    async def _post(self, record: StubRecord) -> str:
        if not record.callback_url:
            log.error("async record %s %s has no callback_url", record.department, record.receipt_no)
            return "refused"
        body = callback_body(record)
        issued = self._config.callback_keys.get(record.department)
        if issued is not None:
            headers = signed_headers(key_bytes(issued.key), body, key_id=issued.key_id)
        else:
            headers = signed_headers(department_key(self._secret_key, record.department), body)
        headers["Content-Type"] = "application/json"
        try:
            response = await self._http.post(record.callback_url, content=body, headers=headers)
        except httpx.HTTPError as error:
            log.info(
                "callback %s %s not delivered (%s); will retry",
                record.department,
                record.receipt_no,
                type(error).__name__,
            )
            return "retry"
        status = response.status_code
        if 200 <= status < 300:
            return "delivered"
        if 400 <= status < 500 and status not in RETRYABLE_4XX:
            log.error(
                "callback %s %s refused by the platform with %d; not retrying",
                record.department,
                record.receipt_no,
                status,
            )
            return "refused"
        log.info("callback %s %s answered %d; will retry", record.department, record.receipt_no, status)
        return "retry"

    def _backoff(self, attempts: int) -> float:
        # Doubling with full jitter, so many stubs recovering from one platform outage do not stampede.
        cap = min(self._config.callback_backoff_max_ms, self._config.callback_backoff_ms * 2 ** min(attempts - 1, 30))
        return random.uniform(cap / 2, cap) / 1000
