"""The one way into a case: start it, and send it messages, by case number alone.

Temporal history is the truth about a case, so a message goes straight to the case's workflow, whose update
validators accept, ignore or refuse it; the SQL projection never gates the way in (it may lag by moments).
Temporal's RPC errors are mapped to domain errors here and nowhere else.

Every call is bounded by one timeout (setting `temporal_rpc_seconds`), connecting included: a stalled worker or an
unreachable server becomes an `UnavailableError` (503 with Retry-After) within it, never a request that hangs.

Which commands may wait in the outbox (services/outbox.py) when Temporal cannot be reached, and which are refused
at once: a start is deferred, because every rule was checked before the application was accepted and the workflow
has nothing left to refuse (the same workflow id makes a repeat a no-op). Supplements, withdrawals, staff decisions
and escalations are sent at once and never deferred: the workflow's validators decide them (the item no longer
waits, the case already finished) and that answer must reach the person who acted now, not in a message later.
When Temporal is unreachable they are refused with 503 and Retry-After and nothing is recorded, so sending the same
command again is the whole recovery; a repeat of one that did arrive is refused by the same validators, never
applied twice.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import Any, Protocol, TypeVar

from temporalio.client import (
    Client,
    RPCTimeoutOrCancelledError,
    WorkflowHandle,
    WorkflowQueryFailedError,
    WorkflowUpdateFailedError,
)
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from core.ids import workflow_id
from core.logging import case_context
from services.errors import ConflictError, InvalidError, NotFoundError, UnavailableError
from workflows.bundle import OneThingWorkflow
from workflows.contracts import (
    RESULT_IGNORED,
    RESULT_REFUSED,
    RESULT_TOO_EARLY,
    BundleInput,
    CaseState,
    DepartmentCallback,
    ItemApplication,
    ItemState,
    StaffDecision,
    SupervisorEscalation,
    Supplement,
    Withdrawal,
)

T = TypeVar("T")

LegacyIds = Callable[[str], Awaitable[str | None]]
"""The workflow id of a case started before ids were derived from the case number, or None."""
ClientSource = Callable[[], Awaitable[Client | None]]
"""The connected client, or None while Temporal cannot be reached (api/temporal_link.py)."""
RETRY_AFTER_SECONDS = 5


class Delivery(StrEnum):
    APPLIED = "applied"
    """The case took the result."""
    IGNORED = "ignored"
    """The case no longer expects it (a repeat, an earlier round, the case closed): nothing to resend."""


@dataclass(frozen=True)
class DeliveryReceipt:
    delivery: Delivery
    detail: str


class CaseGateway(Protocol):
    """What services need from the case engine; tests of services use a fake with the same methods."""

    async def start(self, bundle: BundleInput) -> None: ...

    async def supplement(self, case_no: str, supplement: Supplement) -> CaseState: ...

    async def withdraw(self, case_no: str, withdrawal: Withdrawal) -> CaseState: ...

    async def decide(self, case_no: str, decision: StaffDecision) -> ItemState: ...

    async def department_result(self, case_no: str, result: DepartmentCallback) -> DeliveryReceipt: ...

    async def escalate(self, case_no: str, escalation: SupervisorEscalation) -> None: ...

    async def item_application(self, case_no: str, item_code: str) -> ItemApplication: ...


class TemporalCaseGateway:
    def __init__(
        self,
        client: Client | ClientSource,
        task_queue: str,
        *,
        timeout_seconds: float = 5.0,
        legacy_ids: LegacyIds | None = None,
    ) -> None:
        self._client_source = client
        self._task_queue = task_queue
        self._timeout = timeout_seconds
        self._legacy_ids = legacy_ids

    async def start(self, bundle: BundleInput) -> None:
        with case_context(bundle.case_no):  # its log lines name the case (core/logging.py)
            try:
                async with asyncio.timeout(self._timeout):
                    client = await self._client()
                    await client.start_workflow(
                        OneThingWorkflow.run,
                        bundle,
                        id=workflow_id(bundle.case_no),
                        task_queue=self._task_queue,
                        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
                        # A repeat after the case finished must not start a second run of it.
                        id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
                        rpc_timeout=timedelta(seconds=self._timeout),
                    )
            except WorkflowAlreadyStartedError:
                return
            except (RPCError, TimeoutError, RPCTimeoutOrCancelledError) as error:
                raise UnavailableError(
                    f"Case {bundle.case_no} could not be started just now; it stays accepted and starts as soon "
                    "as the case engine answers.",
                    retry_after=RETRY_AFTER_SECONDS,
                    case_no=bundle.case_no,
                ) from error

    async def _client(self) -> Client:
        if isinstance(self._client_source, Client):
            return self._client_source
        client = await self._client_source()
        if client is None:
            raise UnavailableError(
                "The case engine is not reachable; try again shortly.", retry_after=RETRY_AFTER_SECONDS
            )
        return client

    async def supplement(self, case_no: str, supplement: Supplement) -> CaseState:
        return await self._update(
            case_no, lambda h: h.execute_update(OneThingWorkflow.supplement, supplement, rpc_timeout=self._rpc)
        )

    async def withdraw(self, case_no: str, withdrawal: Withdrawal) -> CaseState:
        return await self._update(
            case_no, lambda h: h.execute_update(OneThingWorkflow.withdraw, withdrawal, rpc_timeout=self._rpc)
        )

    async def decide(self, case_no: str, decision: StaffDecision) -> ItemState:
        return await self._update(
            case_no, lambda h: h.execute_update(OneThingWorkflow.staff_decision, decision, rpc_timeout=self._rpc)
        )

    async def department_result(self, case_no: str, result: DepartmentCallback) -> DeliveryReceipt:
        try:
            await self._update(
                case_no,
                lambda h: h.execute_update(OneThingWorkflow.receive_department_result, result, rpc_timeout=self._rpc),
            )
        except _RefusedError as refusal:
            if refusal.kind == RESULT_IGNORED:
                return DeliveryReceipt(Delivery.IGNORED, refusal.message)
            if refusal.kind == RESULT_TOO_EARLY:
                raise ConflictError(f"{refusal.message}; send this result again later.", case_no=case_no) from None
            raise result_refused(case_no, refusal.message, **refusal.rule) from None
        except _ClosedError:
            return DeliveryReceipt(Delivery.IGNORED, f"case {case_no} is already closed")
        return DeliveryReceipt(Delivery.APPLIED, f"case {case_no} took the result")

    async def escalate(self, case_no: str, escalation: SupervisorEscalation) -> None:
        async def send(handle: WorkflowHandle[Any, Any]) -> None:
            await handle.signal(OneThingWorkflow.escalate, escalation, rpc_timeout=self._rpc)

        await self._update(case_no, send)

    async def item_application(self, case_no: str, item_code: str) -> ItemApplication:
        async def ask(handle: WorkflowHandle[Any, Any]) -> ItemApplication:
            try:
                answer: ItemApplication = await handle.query(
                    OneThingWorkflow.item_application, item_code, rpc_timeout=self._rpc
                )
            except WorkflowQueryFailedError:
                raise NotFoundError(f"Case {case_no} has no item {item_code}.", case_no=case_no) from None
            return answer

        return await self._update(case_no, ask)

    # --- one mapping of Temporal's errors --------------------------------------------------------------

    @property
    def _rpc(self) -> timedelta:
        return timedelta(seconds=self._timeout)

    async def _update(self, case_no: str, call: Callable[[WorkflowHandle[Any, Any]], Awaitable[T]]) -> T:
        """Runs `call` on the case's workflow and maps its failures; department results see the private errors below."""
        with case_context(case_no):  # its log lines name the case (core/logging.py)
            try:
                async with asyncio.timeout(self._timeout):
                    return await self._update_case(case_no, call)
            except (TimeoutError, RPCTimeoutOrCancelledError):
                # The message may still be waiting for the case's worker and be applied later: say so, and that
                # sending it again is safe (the workflow's validators refuse a repeat of what was applied).
                raise UnavailableError(
                    f"The case engine did not answer within {self._timeout:g} s. What you sent may still be applied: "
                    "look at the case shortly and send it again if it was not (a repeat is never applied twice).",
                    retry_after=RETRY_AFTER_SECONDS,
                    case_no=case_no,
                ) from None

    async def _update_case(self, case_no: str, call: Callable[[WorkflowHandle[Any, Any]], Awaitable[T]]) -> T:
        client = await self._client()
        handle = client.get_workflow_handle(workflow_id(case_no))
        try:
            return await self._mapped(case_no, handle, call)
        except _MissingError:
            legacy = await self._legacy_ids(case_no) if self._legacy_ids is not None else None
            if legacy is None:
                raise NotFoundError(f"There is no case {case_no}; check the case number.", case_no=case_no) from None
            try:
                return await self._mapped(case_no, client.get_workflow_handle(legacy), call)
            except _MissingError:
                raise NotFoundError(f"There is no case {case_no}; check the case number.", case_no=case_no) from None

    async def _mapped(
        self, case_no: str, handle: WorkflowHandle[Any, Any], call: Callable[[WorkflowHandle[Any, Any]], Awaitable[T]]
    ) -> T:
        try:
            return await call(handle)
        except WorkflowUpdateFailedError as error:
            if update_not_run(error):
                raise UnavailableError(NOT_RUN_DETAIL, retry_after=RETRY_AFTER_SECONDS, case_no=case_no) from None
            cause = error.cause
            kind = cause.type if isinstance(cause, ApplicationError) else None
            message = str(getattr(cause, "message", cause))
            if kind in (RESULT_IGNORED, RESULT_REFUSED, RESULT_TOO_EARLY):
                details = cause.details if isinstance(cause, ApplicationError) else ()
                first = details[0] if details and isinstance(details[0], dict) else {}
                rule = {key: str(first[key]) for key in ("rule", "field") if key in first}
                raise _RefusedError(kind, message, rule) from None
            raise ConflictError(message, case_no=case_no) from None
        except RPCError as error:
            if error.status is not RPCStatusCode.NOT_FOUND:
                raise UnavailableError(
                    "The case engine is not reachable; try again shortly.", retry_after=RETRY_AFTER_SECONDS
                ) from error
            # Temporal answers NOT_FOUND both for no such workflow and for one that already closed.
            if not await _exists(handle):
                raise _MissingError from None
            raise _ClosedError(case_no) from None


UNPROCESSED_UPDATE = "UnprocessedUpdate"
"""The failure type Temporal's server gives an update that no worker ran: the worker that took the task went away
(killed, restarted) or completed it without looking at the update. Nothing was applied; sending it again is safe."""
NOT_RUN_DETAIL = (
    "The case engine was restarting and did not take what you sent; nothing was applied. Send it again shortly."
)


def update_not_run(error: WorkflowUpdateFailedError) -> bool:
    """Whether the server refused the update because no worker ran it: a 503 to retry, never a conflict (a 409
    would tell a client the item no longer waits, and a case would wait for a decision nobody sends again)."""
    cause = error.cause
    return isinstance(cause, ApplicationError) and cause.type == UNPROCESSED_UPDATE


async def _exists(handle: WorkflowHandle[Any, Any]) -> bool:
    try:
        await handle.describe()
    except RPCError as error:
        if error.status is RPCStatusCode.NOT_FOUND:
            return False
        raise UnavailableError(
            "The case engine is not reachable; try again shortly.", retry_after=RETRY_AFTER_SECONDS
        ) from error
    return True


class _MissingError(Exception):
    """No workflow under this id."""


class _RefusedError(Exception):
    def __init__(self, kind: str, message: str, rule: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.kind, self.message = kind, message
        self.rule = rule or {}
        """The workflow's rule and field, e.g. {"rule": "declared-outputs", "field": "output.hukou_no"}."""


def result_refused(case_no: str, message: str, rule: str = "result-refused", field: str = "item_code") -> InvalidError:
    """A result the case can never take, as the department's integrator needs it: the rule, the field, the fix."""
    return InvalidError(
        f"This result cannot apply to case {case_no} (rule {rule}): {message}. "
        "Correct it and send it again; unchanged it is refused again.",
        [{"field": field, "message": message}],
        title="Result refused",
        case_no=case_no,
        rule=rule,
    )


class _ClosedError(ConflictError):
    """The case's workflow has finished: nothing can be sent into it any more."""

    def __init__(self, case_no: str) -> None:
        super().__init__(f"Case {case_no} is already finished.", case_no=case_no)
