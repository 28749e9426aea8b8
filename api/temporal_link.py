"""The API's Temporal client, connected on first need so pages serve even while Temporal is down."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence

from temporalio.client import Client, Interceptor

from core.settings import Settings
from core.temporal import connect

log = logging.getLogger("onething.api")

CONNECT_SECONDS = 30.0
RECONNECT_SECONDS = 1.0
"""After a failed attempt, requests answer "unreachable" at once for this long instead of each trying again."""


class TemporalLink:
    """One connection attempt at a time, shared by every request that needs the client meanwhile, each waiting at
    most `temporal_rpc_seconds` for it: a burst while Temporal is down costs one attempt, not one per request
    queued behind a lock."""

    def __init__(self, settings: Settings, interceptors: Sequence[Interceptor] = ()) -> None:
        self._settings = settings
        self._interceptors = interceptors
        self._client: Client | None = None
        self._attempt: asyncio.Task[Client] | None = None
        self._failed_at = float("-inf")

    async def get(self) -> Client | None:
        if self._client is not None:
            return self._client
        if self._attempt is None:
            if time.monotonic() - self._failed_at < RECONNECT_SECONDS:
                return None
            self._attempt = asyncio.create_task(self._connect())
            # Read its failure even when every waiter gave up first, so none is reported as never retrieved.
            self._attempt.add_done_callback(lambda attempt: attempt.cancelled() or attempt.exception())
        try:
            # shield: a request that stops waiting does not cancel the attempt the others share.
            return await asyncio.wait_for(asyncio.shield(self._attempt), self._settings.temporal_rpc_seconds)
        except (RuntimeError, TimeoutError):
            return None

    async def _connect(self) -> Client:
        try:
            async with asyncio.timeout(CONNECT_SECONDS):  # an attempt that hangs must not block every later one
                self._client = await connect(self._settings, interceptors=self._interceptors)
        except (RuntimeError, TimeoutError) as error:
            reason = str(error) or type(error).__name__
            log.warning("Temporal at %s not reachable: %s", self._settings.temporal_address, reason)
            self._failed_at = time.monotonic()
            raise
        finally:
            self._attempt = None
        return self._client
