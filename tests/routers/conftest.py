"""The fast router tier: the real app in-process, one for the whole folder, a fresh fake case gateway per test."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.support.fake_gateway import FakeCaseGateway
from tests.support.inprocess import InProcessApi, in_process_api

SUBMISSIONS_PER_HOUR = 3


@pytest.fixture(scope="package")
async def api(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[InProcessApi]:
    # Its lifespan (schema, demo data, catalogue) costs about a second; the tests share its database, each with
    # its own citizens, so their cases never meet.
    async with in_process_api(tmp_path_factory.mktemp("api"), submissions_per_hour=SUBMISSIONS_PER_HOUR) as running:
        yield running


@pytest.fixture
def gateway(api: InProcessApi) -> FakeCaseGateway:
    return api.fresh_gateway()
