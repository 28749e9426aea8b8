"""A worker does not poll beside workers that write the projection in another format (core/worker_guard.py), on
the real dev server: it waits for them, refuses after its timeout, and starts at once beside its own format."""

from __future__ import annotations

import asyncio
import logging
import os
import re
import signal
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from core.settings import Settings
from core.worker_guard import (
    EXIT_OTHER_FORMAT,
    OtherFormatWorkers,
    Poller,
    recent_pollers,
    wait_for_other_formats_to_stop,
)
from persistence.write_order import PROJECTION_WRITE_FORMAT
from tests.conftest import stack_settings
from tests.support.db import process_environment, sqlite_pass_only
from tests.support.pollers import LONG_POLL_SECONDS, polling_worker, quick_poll_dev_server
from worker import build_worker

pytestmark = sqlite_pass_only("the guard asks Temporal who polls; no SQL of it differs by database")

OLD_RELEASE = "4242@old-release-host"
"""How a worker of a release before the guard polls: the SDK's `<pid>@<host>`, no format announced."""
RECENT = timedelta(seconds=3 * LONG_POLL_SECONDS)


@pytest.fixture(scope="module")
async def quick_poll_env() -> AsyncIterator[WorkflowEnvironment]:
    async with quick_poll_dev_server() as env:
        yield env


def _queue() -> str:
    """A queue of its own per test: the server remembers a queue's pollers for 5 minutes after they stop."""
    return f"guard-{uuid.uuid4().hex}"


async def _until_polling(client: Client, task_queue: str, identity_part: str) -> Poller:
    """The poller whose identity holds `identity_part`, once the server has seen it poll both kinds of task."""
    for _ in range(100):
        for poller in await recent_pollers(client, "default", task_queue, within=RECENT):
            if identity_part in poller.identity and poller.queue_types == ("workflow", "activity"):
                return poller
        await asyncio.sleep(0.1)
    raise AssertionError(f"no poller {identity_part!r} on {task_queue}")


def _start_worker(settings: Settings, log: Path, **variables: str) -> subprocess.Popen[bytes]:
    """`onething worker` as a process of its own, as an operator starts it."""
    env = {
        **os.environ,
        **process_environment(settings),
        "ONETHING_TEMPORAL_ADDRESS": settings.temporal_address,
        "ONETHING_TASK_QUEUE": settings.task_queue,
        "ONETHING_METRICS_PORT": str(settings.metrics_port),
        "ONETHING_WORKER_HEALTH_PORT": str(settings.worker_health_port),
        "ONETHING_WORKER_FORMAT_GUARD_RECENT_SECONDS": str(RECENT.total_seconds()),
        "ONETHING_LOG_FORMAT": "text",
        **variables,
    }
    command = [sys.executable, "-c", "from cli.main import main; main()", "worker"]
    return subprocess.Popen(command, env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT)


async def _readiness(settings: Settings, process: subprocess.Popen[bytes]) -> tuple[int, dict[str, str]]:
    """The first answer of the worker's `/readyz` (it opens once the worker is connected)."""
    url = f"http://127.0.0.1:{settings.worker_health_port}/readyz"
    async with httpx.AsyncClient(timeout=2) as http:
        for _ in range(300):
            assert process.poll() is None, "the worker exited before it answered /readyz"
            try:
                answer = await http.get(url)
            except httpx.TransportError:
                await asyncio.sleep(0.1)
                continue
            return answer.status_code, answer.json()
    raise AssertionError("the worker never answered /readyz")


async def test_worker_refuses_to_start_beside_an_older_release_and_names_the_fix(
    quick_poll_env: WorkflowEnvironment, data_dir: Path
) -> None:
    client = quick_poll_env.client
    settings = stack_settings(data_dir, client, task_queue=_queue())
    log = data_dir / "worker.log"
    async with polling_worker(client, settings.task_queue, OLD_RELEASE):
        await _until_polling(client, settings.task_queue, OLD_RELEASE)
        worker = _start_worker(settings, log, ONETHING_WORKER_FORMAT_GUARD_TIMEOUT_SECONDS="4")
        try:
            status, body = await _readiness(settings, worker)  # while it waits: alive, not ready, and why
            exit_code = await asyncio.to_thread(worker.wait, 60)
        finally:
            if worker.poll() is None:
                worker.kill()
        pollers = await recent_pollers(client, "default", settings.task_queue, within=RECENT)

    said = log.read_text()
    assert exit_code == EXIT_OTHER_FORMAT, said[-3000:]
    assert (status, body["missing"]) == (503, "waiting for workers of another projection format to stop (see the log)")
    assert re.search(r"waiting \(\d s of 4 s\) before polling", said)  # progress while it waited, before the refusal
    assert "refusing to start the worker after 4 s" in said
    assert f"{OLD_RELEASE}: announces no format (a release before the guard)" in said
    assert "Stop every worker of the other release" in said
    assert "docs/operations.md, section 'Upgrade procedure'" in said
    assert "ONETHING_WORKER_FORMAT_GUARD=false" in said
    # It never polled: the old release's worker is the only one the server has seen on the queue.
    assert [poller.identity for poller in pollers] == [OLD_RELEASE]


async def test_operator_override_starts_the_worker_beside_an_older_release(
    quick_poll_env: WorkflowEnvironment, data_dir: Path
) -> None:
    client = quick_poll_env.client
    settings = stack_settings(data_dir, client, task_queue=_queue())
    log = data_dir / "worker.log"
    async with polling_worker(client, settings.task_queue, OLD_RELEASE):
        await _until_polling(client, settings.task_queue, OLD_RELEASE)
        worker = _start_worker(settings, log, ONETHING_WORKER_FORMAT_GUARD="false")
        try:
            status, _ = await _readiness(settings, worker)
            seen = await _until_polling(client, settings.task_queue, f"onething-projection/{PROJECTION_WRITE_FORMAT}")
        finally:
            worker.send_signal(signal.SIGTERM)
            exit_code = await asyncio.to_thread(worker.wait, 60)
    assert status == 200, log.read_text()[-3000:]  # polling at once, no wait
    assert seen.projection_format == PROJECTION_WRITE_FORMAT
    assert exit_code == 0
    assert "waiting (" not in log.read_text()


async def test_worker_starts_at_once_beside_workers_of_its_own_format(
    quick_poll_env: WorkflowEnvironment, data_dir: Path
) -> None:
    client = quick_poll_env.client
    settings = stack_settings(data_dir, client, task_queue=_queue())
    async with build_worker(client, settings) as running, running:
        seen = await _until_polling(client, settings.task_queue, client.identity)
        assert seen.projection_format == PROJECTION_WRITE_FORMAT  # what every worker announces
        # No time to wait at all: any poller it counted as another format would make this refuse.
        await wait_for_other_formats_to_stop(
            client,
            namespace="default",
            task_queue=settings.task_queue,
            projection_format=PROJECTION_WRITE_FORMAT,
            recent=RECENT,
            give_up_after=timedelta(0),
        )


async def test_worker_starts_once_the_older_release_stopped(
    quick_poll_env: WorkflowEnvironment, caplog: pytest.LogCaptureFixture
) -> None:
    client = quick_poll_env.client
    task_queue = _queue()
    caplog.set_level(logging.INFO, logger="onething.worker")
    guard = None
    try:
        async with polling_worker(client, task_queue, OLD_RELEASE):
            await _until_polling(client, task_queue, OLD_RELEASE)
            guard = asyncio.create_task(
                wait_for_other_formats_to_stop(
                    client,
                    namespace="default",
                    task_queue=task_queue,
                    projection_format=PROJECTION_WRITE_FORMAT,
                    recent=RECENT,
                    give_up_after=timedelta(minutes=2),
                )
            )
            while "waiting (" not in caplog.text:
                assert not guard.done(), "started beside a worker of the older release"
                await asyncio.sleep(0.1)
        await asyncio.wait_for(guard, 60)  # returns (does not raise) once the old worker's last poll ages out
    finally:
        if guard is not None and not guard.done():
            guard.cancel()
    assert OLD_RELEASE in caplog.text
    assert "no worker of another projection format polls any more; starting" in caplog.text


async def test_a_newer_format_blocks_too_and_the_refusal_is_an_error_not_a_wait(
    quick_poll_env: WorkflowEnvironment,
) -> None:
    client = quick_poll_env.client
    task_queue = _queue()
    newer = f"7@new-release-host onething-projection/{PROJECTION_WRITE_FORMAT + 1}"
    async with polling_worker(client, task_queue, newer):
        await _until_polling(client, task_queue, newer)
        with pytest.raises(OtherFormatWorkers) as refused:
            await wait_for_other_formats_to_stop(
                client,
                namespace="default",
                task_queue=task_queue,
                projection_format=PROJECTION_WRITE_FORMAT,
                recent=RECENT,
                give_up_after=timedelta(0),
            )
    assert f"{newer}: format {PROJECTION_WRITE_FORMAT + 1}" in str(refused.value)
