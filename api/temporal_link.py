"""The API's Temporal client, connected on first need so pages serve even while Temporal is down."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from temporalio.client import Client, Interceptor

from core.settings import Settings
from core.temporal import connect

log = logging.getLogger("onething.api")


class TemporalLink:
    def __init__(self, settings: Settings, interceptors: Sequence[Interceptor] = ()) -> None:
        self._settings = settings
        self._interceptors = interceptors
        self._client: Client | None = None
        self._lock = asyncio.Lock()

    async def get(self) -> Client | None:
        if self._client is not None:
            return self._client
        async with self._lock:
            if self._client is None:
                try:
                    self._client = await connect(self._settings, interceptors=self._interceptors)
                except RuntimeError as error:
                    log.warning("Temporal at %s not reachable: %s", self._settings.temporal_address, error)
        return self._client
