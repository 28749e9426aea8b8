"""The case gateway never lets a request wait past `temporal_rpc_seconds`: an engine that does not answer, or cannot
be reached, becomes a 503 problem (UnavailableError with Retry-After) within the bound. The Temporal client is the
edge here (a stand-in that never answers), as a stalled worker or a partitioned server would behave."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from temporalio.client import Client

from services.case_gateway import TemporalCaseGateway
from services.errors import UnavailableError
from workflows.contracts import StaffDecision, Withdrawal

BOUND = 0.3


class _SilentHandle:
    """A workflow handle whose updates are taken and never answered: the case's worker is stopped."""

    async def execute_update(self, *_args: Any, **_kwargs: Any) -> None:
        await asyncio.Event().wait()


class _SilentClient(Client):
    def __init__(self) -> None:  # no connection: only get_workflow_handle is used
        pass

    def get_workflow_handle(self, *_args: Any, **_kwargs: Any) -> Any:
        return _SilentHandle()


async def test_an_update_nobody_answers_is_a_503_within_the_bound_saying_it_may_still_apply() -> None:
    gateway = TemporalCaseGateway(_SilentClient(), "onething", timeout_seconds=BOUND)
    decision = StaffDecision(item_code="vaccination_certificate", decision="approve", output={}, staff="clerk-1")
    began = time.monotonic()
    with pytest.raises(UnavailableError) as refused:
        await gateway.decide("20261206-AAAA1111", decision)
    assert time.monotonic() - began < BOUND + 0.5
    assert refused.value.retry_after == 5
    assert "may still be applied" in refused.value.detail
    assert "never applied twice" in refused.value.detail


async def test_an_engine_that_cannot_be_reached_or_connects_forever_is_a_503_within_the_bound() -> None:
    async def unreachable() -> Client | None:
        return None

    async def connecting_forever() -> Client | None:
        await asyncio.Event().wait()
        return None

    for source in (unreachable, connecting_forever):
        gateway = TemporalCaseGateway(source, "onething", timeout_seconds=BOUND)
        began = time.monotonic()
        with pytest.raises(UnavailableError) as refused:
            await gateway.withdraw("20261206-AAAA1111", Withdrawal(reason="changed plans"))
        assert time.monotonic() - began < BOUND + 0.5
        assert refused.value.retry_after == 5
