"""The fast workflow tier: the real OneThingWorkflow on one shared time-skipping server, fake activities."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from core.activations import jobs_applied_as_one_batch
from core.workflow_runner import sandboxed_runner
from tests.support.servers import TEMPORAL_TEST_SERVER
from tests.workflows.fast.cases import Cases
from tests.workflows.fast.fakes import FakeActivities
from workflows.bundle import OneThingWorkflow


@pytest.fixture
async def cases(shared_skipping_env: WorkflowEnvironment, request: pytest.FixtureRequest) -> AsyncIterator[Cases]:
    """A worker of this test's own on its own task queue, so tests never take each other's work."""
    async with _cases_on(shared_skipping_env, request.node.name) as found:
        yield found


@pytest.fixture
async def timed_cases(converter, request: pytest.FixtureRequest) -> AsyncIterator[Cases]:  # type: ignore[no-untyped-def]
    """For tests that move the clock: a time-skipping server of their own. On the shared one, work another
    test left in flight can hold the clock (temporalio/sdk-java#1138) and a skip then times out."""
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=str(TEMPORAL_TEST_SERVER), data_converter=converter
    )
    try:
        async with _cases_on(env, request.node.name) as found:
            yield found
    finally:
        await env.shutdown()


@asynccontextmanager
async def _cases_on(env: WorkflowEnvironment, test_name: str) -> AsyncIterator[Cases]:
    fakes = FakeActivities()
    queue = f"fast-{re.sub(r'[^a-z0-9]+', '-', test_name.lower())}-{uuid.uuid4().hex[:8]}"
    worker = Worker(
        env.client,
        task_queue=queue,
        workflows=[OneThingWorkflow],
        activities=fakes.activities(),
        workflow_runner=sandboxed_runner(env.client.data_converter),  # as the product's worker (worker.py)
    )
    async with jobs_applied_as_one_batch(worker):
        cases = Cases(env=env, task_queue=queue, fakes=fakes)
        try:
            yield cases
        finally:
            await cases.close()
