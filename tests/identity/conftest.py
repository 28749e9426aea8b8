"""Sign-in tests: the real app in-process with its embedded demo identity provider."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from tests.support.inprocess import InProcessApi, in_process_api


@pytest.fixture(scope="package")
async def api(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[InProcessApi]:
    async with in_process_api(tmp_path_factory.mktemp("identity")) as running:
        yield running


@pytest.fixture
async def browser(api: InProcessApi) -> AsyncIterator[httpx.AsyncClient]:
    """A cookie-keeping client at the API's own address, as the provider redirects back to it."""
    transport = httpx.ASGITransport(app=api.app)
    async with httpx.AsyncClient(transport=transport, base_url=api.settings.api_url) as client:
        yield client
