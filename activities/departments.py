"""Calls to the department back-ends over HTTP: at-least-once calls, exactly-once effects.

Every submission carries an idempotency key made of business facts (case number, item code and the
resubmission round), so a retry after a timeout or a worker crash finds the department's first record.
Every call is counted and timed twice: as Prometheus metrics, and as a row in the department-health log
that supervisors read (written here, in the activity that made the call, so no extra activity runs).
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import datetime, timedelta

import httpx
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from temporalio import activity
from temporalio.exceptions import ApplicationError, ApplicationErrorCategory

from core.metrics import record_department_call
from persistence.db import session_scope
from persistence.department_calls import OK, REFUSED, UNAVAILABLE, record_call
from workflows.contracts import DepartmentReply, EscalationNotice, Submission, SubmissionRef
from workflows.policies import REFUSED as REFUSED_ERROR

RETRYABLE_STATUS = frozenset({408, 409, 425, 429})

log = logging.getLogger("onething.departments")


class DepartmentActivities:
    def __init__(self, http: httpx.AsyncClient, engine: Engine, departments_url: str, callback_base_url: str) -> None:
        self._http = http
        self._engine = engine
        self._departments_url = departments_url.rstrip("/")
        self._callback_base_url = callback_base_url.rstrip("/")

    @activity.defn
    async def submit_to_department(self, submission: Submission) -> DepartmentReply:
        body: dict[str, object] = {
            "idempotency_key": submission.idempotency_key,
            "case_no": submission.case_no,
            "item_code": submission.item_code,
            "mode": submission.mode.value,
            "payload": submission.payload,
            "outputs": submission.outputs,
            "callback_url": f"{self._callback_base_url}/api/v1/callbacks/{submission.department}",
        }
        url = f"{self._departments_url}/stub/{submission.department}/submissions"
        response = await self._call("POST", url, body, department=submission.department, operation="submit")
        return DepartmentReply.model_validate(response.json())

    @activity.defn
    async def await_batch_result(self, ref: SubmissionRef) -> DepartmentReply:
        """Pull a data-pipeline result; 'not ready yet' is an error so the retry policy paces the polling."""
        url = f"{self._departments_url}/stub/{ref.department}/submissions/{ref.idempotency_key}"
        response = await self._call("GET", url, None, department=ref.department, operation="pull")
        reply = DepartmentReply.model_validate(response.json())
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
        url = f"{self._departments_url}/stub/{ref.department}/submissions/{ref.idempotency_key}/withdraw"
        response = await self._call("POST", url, {}, department=ref.department, operation="withdraw")
        return DepartmentReply.model_validate(response.json())

    @activity.defn
    async def escalate_to_department(self, notice: EscalationNotice) -> None:
        url = f"{self._departments_url}/stub/{notice.department}/escalations"
        body: dict[str, object] = notice.model_dump(exclude={"department"})
        await self._call("POST", url, body, department=notice.department, operation="escalate")

    async def _call(
        self, method: str, url: str, body: dict[str, object] | None, *, department: str, operation: str
    ) -> httpx.Response:
        """The department's successful answer (an escalation may have no body); every call is counted and timed."""
        # Temporal's clock, not the host's: on the time-skipping server (simulated weeks) a call is logged
        # at the simulated time of its case; on a real server the two agree.
        called_at, started = activity.info().started_time, time.monotonic()
        outcome: str | None = UNAVAILABLE
        try:
            response = await self._http.request(method, url, json=body)
            _raise_for_status(response)
            outcome = OK
            return response
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
                await self._log_call(department, operation, outcome, latency, called_at)

    async def _log_call(
        self, department: str, operation: str, outcome: str, latency: timedelta, called_at: datetime
    ) -> None:
        """The health log is an observation: failing to write it must not fail (and so repeat) the call."""
        attempt = activity.info().attempt

        def write() -> None:
            with session_scope(self._engine) as session:
                record_call(
                    session,
                    department=department,
                    operation=operation,
                    outcome=outcome,
                    latency=latency,
                    attempt=attempt,
                    called_at=called_at,
                )

        try:
            await asyncio.to_thread(write)  # off the event loop that runs the other activities
        except SQLAlchemyError as error:
            log.warning("department call to %s (%s) not logged for health: %s", department, operation, error)


def _raise_for_status(response: httpx.Response) -> None:
    """4xx means the department refuses this request as it is: retrying would not help."""
    if response.is_success:
        return
    status = response.status_code
    detail = _problem_detail(response)
    if 400 <= status < 500 and status not in RETRYABLE_STATUS:
        raise ApplicationError(
            f"department refused the request ({status}): {detail}", type=REFUSED_ERROR, non_retryable=True
        )
    raise ApplicationError(f"department unavailable ({status}): {detail}", type="DepartmentUnavailable")


def _problem_detail(response: httpx.Response) -> str:
    try:
        problem = response.json()
    except ValueError:
        return response.reason_phrase
    if isinstance(problem, dict):
        return str(problem.get("detail") or problem.get("title") or response.reason_phrase)
    return response.reason_phrase
