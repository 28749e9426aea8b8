"""What a person who acted on a case or a rectification is told when Temporal's server answers an update with
something other than the workflow's own verdict. The Temporal client is the edge here: a stand-in handle raises
the errors the server gives (their types and messages as temporalio/temporal's service/history/workflow/update
defines them).

- "UnprocessedUpdate": the worker that took the task went away (killed mid-task) and nothing was applied. It must
  be a 503 to send again, never a 409: the stubs' clerk and any API client read 409 as "already decided", and the
  case then waits for a decision nobody sends (chaos worker-kills, docs/reliability.md).
- NOT_FOUND "aborted by closing workflow": a second confirmation arriving while the rectification closes is a
  409 "already closed", not a 503 (tests/api/test_ratings.py saw it once).
"""

from __future__ import annotations

from typing import Any

import pytest
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from services.case_gateway import TemporalCaseGateway
from services.errors import ConflictError, UnavailableError
from services.rectifications import _update as rectification_update
from workflows.contracts import StaffDecision

NOT_RUN = ApplicationError(
    "Workflow Update is rejected because it wasn't processed by worker.", type="UnprocessedUpdate", non_retryable=True
)
VALIDATOR_REFUSAL = ApplicationError(
    "item vaccination_certificate is not waiting for a staff decision", type="ValueError"
)
CLOSING = RPCError("workflow update was aborted by closing workflow", RPCStatusCode.NOT_FOUND, b"")


class _AnsweringHandle:
    def __init__(self, error: BaseException) -> None:
        self._error = error

    async def execute_update(self, *_args: Any, **_kwargs: Any) -> None:
        raise self._error


class _AnsweringClient(Client):
    def __init__(self, error: BaseException) -> None:  # no connection: only handles are asked for
        self._error = error

    def get_workflow_handle(self, *_args: Any, **_kwargs: Any) -> Any:
        return _AnsweringHandle(self._error)

    def get_workflow_handle_for(self, *_args: Any, **_kwargs: Any) -> Any:
        return _AnsweringHandle(self._error)


DECISION = StaffDecision(
    item_code="vaccination_certificate", decision="approve", output={"certificate_no": "V-1"}, staff="clerk-1"
)


async def test_a_decision_no_worker_ran_is_a_503_to_send_again_not_a_conflict() -> None:
    gateway = TemporalCaseGateway(_AnsweringClient(WorkflowUpdateFailedError(NOT_RUN)), "onething")
    with pytest.raises(UnavailableError) as refused:
        await gateway.decide("20261206-AAAA1111", DECISION)
    assert refused.value.retry_after == 5
    assert "nothing was applied" in refused.value.detail
    assert "Send it again" in refused.value.detail


async def test_the_workflows_own_refusal_stays_a_conflict_naming_its_reason() -> None:
    gateway = TemporalCaseGateway(_AnsweringClient(WorkflowUpdateFailedError(VALIDATOR_REFUSAL)), "onething")
    with pytest.raises(ConflictError) as refused:
        await gateway.decide("20261206-AAAA1111", DECISION)
    assert "not waiting for a staff decision" in refused.value.detail


async def _verdict(error: BaseException) -> None:
    client = _AnsweringClient(error)
    await rectification_update(client, "rectification-x", lambda handle: handle.execute_update(), 1.0)


async def test_a_verdict_arriving_while_the_rectification_closes_is_already_closed() -> None:
    with pytest.raises(ConflictError) as refused:
        await _verdict(CLOSING)
    assert "already closed" in refused.value.detail


async def test_a_verdict_no_worker_ran_is_a_503_and_an_unreachable_engine_too() -> None:
    with pytest.raises(UnavailableError):
        await _verdict(WorkflowUpdateFailedError(NOT_RUN))
    with pytest.raises(UnavailableError):
        await _verdict(RPCError("connection refused", RPCStatusCode.UNAVAILABLE, b""))
