"""A limit on callbacks that fail their signature check, per department path and source address.

A department's system that signs correctly never meets it; a client guessing signatures, or a system sending
with a wrong or rotated-away key, is slowed to `callback_failure_limit` and told when to try again. Counted
with the maintained `limits` package (moving window) in the API process's memory: each API process limits
on its own, which bounds a guesser per process; a shared storage (`limits` supports Redis) would be the way
to one limit across processes.
"""

from __future__ import annotations

import math
import time

from fastapi import Request
from limits import RateLimitItem, parse
from limits.aio.storage import MemoryStorage
from limits.aio.strategies import MovingWindowRateLimiter

from api.problems import ProblemError


class CallbackFailures:
    def __init__(self, limit: str) -> None:
        self._limit: RateLimitItem = parse(limit)
        self._window = MovingWindowRateLimiter(MemoryStorage())

    async def refuse_if_over(self, department: str, address: str) -> None:
        """429 with Retry-After while this department path has had too many bad signatures from `address`."""
        if await self._window.test(self._limit, department, address):
            return
        stats = await self._window.get_window_stats(self._limit, department, address)
        retry_after = max(1, math.ceil(stats.reset_time - time.time()))
        raise ProblemError(
            429,
            "Too many bad signatures",
            f"Callbacks for {department} from this address failed their signature check more than "
            f"{self._limit.amount} times per {self._limit.get_expiry()} seconds; fix the signing key or the "
            f"signature, then send again after {retry_after} seconds.",
            headers={"Retry-After": str(retry_after)},
        )

    async def count(self, department: str, address: str) -> None:
        await self._window.hit(self._limit, department, address)


def callback_failures(request: Request) -> CallbackFailures:
    """The app's one counter, made on first use from the app's settings."""
    state = request.app.state
    if getattr(state, "callback_failures", None) is None:
        state.callback_failures = CallbackFailures(state.settings.callback_failure_limit)
    failures: CallbackFailures = state.callback_failures
    return failures
