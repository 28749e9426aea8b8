"""The fast workflow tier: the real OneThingWorkflow on one shared time-skipping server, fake activities."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator

import pytest
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from tests.workflows.fast.cases import Cases
from tests.workflows.fast.fakes import FakeActivities
from workflows.bundle import OneThingWorkflow


@pytest.fixture
async def cases(shared_skipping_env: WorkflowEnvironment, request: pytest.FixtureRequest) -> AsyncIterator[Cases]:
    """A worker of this test's own on its own task queue, so tests never take each other's work."""
    fakes = FakeActivities()
    queue = f"fast-{re.sub(r'[^a-z0-9]+', '-', request.node.name.lower())}-{uuid.uuid4().hex[:8]}"
    async with Worker(
        shared_skipping_env.client, task_queue=queue, workflows=[OneThingWorkflow], activities=fakes.activities()
    ):
        cases = Cases(env=shared_skipping_env, task_queue=queue, fakes=fakes)
        try:
            yield cases
        finally:
            await cases.close()
