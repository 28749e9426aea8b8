"""Calls to the department back-ends over HTTP: at-least-once calls, exactly-once effects.

Every submission carries an idempotency key made of business facts (case number, item code and the
resubmission round), so a retry after a timeout or a worker crash finds the department's first record.
Every call is counted and timed twice: as Prometheus metrics, and as a row in the department-health log
that supervisors read (handed by the activity that made the call to the worker's writer, activities/call_log.py,
so no extra activity runs and no call waits for the row).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import TypeVar

from temporalio import activity
from temporalio.exceptions import ApplicationError, ApplicationErrorCategory

from activities.call_log import CallLog, LoggedCall
from activities.gateways import DepartmentGateway, Gateways
from core.metrics import record_department_call
from one_things.schema import IntegrationMode
from persistence.department_calls import OK, REFUSED, UNAVAILABLE
from workflows.contracts import DepartmentReply, EscalationNotice, Submission, SubmissionRef
from workflows.policies import REFUSED as REFUSED_ERROR
from workflows.result_rules import reply_refusal

log = logging.getLogger("onething.departments")
T = TypeVar("T")


REPLY_BROKEN = "DepartmentReplyBroken"
"""A department's synchronous or batch reply that breaks the contract: retried (the department may fix its
system; the idempotency key makes a resubmission safe) and, meanwhile, counted as the system not serving."""


def as_contracted(reply: DepartmentReply, key: str, item_code: str, outputs: list[str]) -> DepartmentReply:
    """The reply, if it is one the contract allows for this submission; the rules are those of a signed
    callback (workflows/result_rules.py), so no mode can complete an item without its declared outputs."""
    # Only the worker says how a result comes back (`submit_to_department`, from the registry), never the department.
    reply = reply.model_copy(update={"results_by_callback": False})
    if reply.idempotency_key != key:
        raise ApplicationError(
            f"the reply is for another submission than {key} (idempotency_key)",
            {"rule": "own-submission", "field": "idempotency_key"},
            type=REPLY_BROKEN,
        )
    if reply.status == "accepted":
        return reply  # nothing decided yet: the result comes later, and is checked then
    refusal = reply_refusal(item_code, outputs, reply)
    if refusal is not None:
        raise ApplicationError(f"the reply breaks the contract: {refusal.message}", *refusal.details, type=REPLY_BROKEN)
    return reply


async def _heartbeating(call: Awaitable[T]) -> T:
    """`call`, telling Temporal the activity is alive while it waits on the department: if the worker dies
    mid-call, the call is retried elsewhere after the heartbeat timeout (10 s), not after start_to_close (60 s)."""
    timeout = activity.info().heartbeat_timeout
    if not timeout:
        return await call

    async def beat() -> None:
        while True:
            activity.heartbeat()
            await asyncio.sleep(timeout.total_seconds() / 3)

    beating = asyncio.create_task(beat())
    try:
        return await call
    finally:
        beating.cancel()


class DepartmentActivities:
    """The activities the workflows call; each hands its work to the gateway the registry chooses."""

    def __init__(self, gateways: Gateways, call_log: CallLog) -> None:
        self._gateways = gateways
        self._call_log = call_log
        """The department-health rows of this worker's calls, written beside them (activities/call_log.py)."""

    @activity.defn
    async def submit_to_department(self, submission: Submission) -> DepartmentReply:
        gateway = self._gateways.for_mode(submission.department, submission.mode)

        async def submit() -> DepartmentReply:
            reply = await gateway.submit(submission)
            reply = as_contracted(reply, submission.idempotency_key, submission.item_code, submission.outputs)
            if reply.status != "accepted" or not gateway.results_by_callback:
                return reply
            # The workflow cannot read the registry: the reply, recorded in its history, says the result comes
            # by callback, so a replay waits as the first run did whatever the registry says by then.
            return reply.model_copy(update={"results_by_callback": True})

        return await self._call(gateway, "submit", submit)

    @activity.defn
    async def await_batch_result(self, ref: SubmissionRef) -> DepartmentReply:
        """Pull a data-pipeline result; 'not ready yet' is an error so the retry policy paces the polling."""
        gateway = self._gateways.for_mode(ref.department, IntegrationMode.BATCH)

        async def pull() -> DepartmentReply:
            reply = await gateway.result(ref)
            if ref.item_code is None or ref.outputs is None:
                return reply  # a pull scheduled before results were checked here (replayed histories)
            return as_contracted(reply, ref.idempotency_key, ref.item_code, ref.outputs)

        reply = await self._call(gateway, "pull", pull)
        if reply.status == "accepted":
            # Benign: "not yet" is how the polling works, not a fault; the SDK logs it at DEBUG, not a traceback
            # per attempt.
            raise ApplicationError(
                "the department has not processed this batch yet",
                type="ResultNotReady",
                category=ApplicationErrorCategory.BENIGN,
            )
        return reply

    @activity.defn
    async def withdraw_from_department(self, ref: SubmissionRef) -> DepartmentReply:
        gateway = self._gateways.for_notices(ref.department)
        return await self._call(gateway, "withdraw", lambda: gateway.withdraw(ref))

    @activity.defn
    async def escalate_to_department(self, notice: EscalationNotice) -> None:
        gateway = self._gateways.for_notices(notice.department)
        await self._call(gateway, "escalate", lambda: gateway.escalate(notice))

    async def _call(self, gateway: DepartmentGateway, operation: str, call: Callable[[], Awaitable[T]]) -> T:
        """The gateway's answer; every call that reaches a department's system is counted and timed."""
        if gateway.mode is IntegrationMode.STANDARD_MODULE:
            return await call()  # nothing leaves the platform: no department system to observe
        department = gateway.code
        # Temporal's clock, not the host's: on the time-skipping server (simulated weeks) a call is logged
        # at the simulated time of its case; on a real server the two agree.
        called_at, started = activity.info().started_time, time.monotonic()
        outcome: str | None = UNAVAILABLE
        try:
            result = await _heartbeating(call())
            outcome = OK
            return result
        except ApplicationError as error:
            if error.type == REFUSED_ERROR:
                outcome = REFUSED
            raise
        except asyncio.CancelledError:
            outcome = None  # cut short by our own side (worker shutdown): says nothing about the department
            raise
        finally:
            if outcome is not None:
                latency = timedelta(seconds=time.monotonic() - started)
                meter = activity.metric_meter()
                record_department_call(
                    meter, department=department, operation=operation, outcome=outcome, latency=latency
                )
                self._call_log.add(
                    LoggedCall(department, operation, outcome, latency, activity.info().attempt, called_at)
                )
