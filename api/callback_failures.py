"""A limit on callbacks that fail their signature check, per department path and source address.

A department's system that signs correctly never meets it; a client guessing signatures, or a system sending
with a wrong or rotated-away key, is slowed to `callback_failure_limit` and told when to try again. Counted
with the maintained `limits` package (fixed window) in the projection database, like the sign-in and licence
limits (core/rate_limit.py): one count across every API process and replica, so a guesser gets the limit,
not the limit times the processes. The address is kept only as a keyed hash.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import time

from anyio import to_thread
from fastapi import Request
from limits import RateLimitItem, parse
from limits.strategies import FixedWindowRateLimiter

from api.problems import ProblemError
from persistence.rate_limits import SqlCounts


class CallbackFailures:
    def __init__(self, limit: str, secret: str, counts: SqlCounts) -> None:
        self._limit: RateLimitItem = parse(limit)
        self._secret = secret.encode()
        self._window = FixedWindowRateLimiter(counts)

    def under_limit(self, department: str, address: str) -> bool:
        """Whether this department path may still be tried from `address`. SQL: call it in the thread pool (the
        callback router does, in the same trip as its key lookup)."""
        return self._window.test(self._limit, department, self._key(address))

    async def refuse(self, department: str, address: str) -> None:
        """429 with Retry-After: this department path has had too many bad signatures from `address`."""
        key = self._key(address)
        stats = await to_thread.run_sync(self._window.get_window_stats, self._limit, department, key)
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
        await to_thread.run_sync(self._window.hit, self._limit, department, self._key(address))

    def _key(self, address: str) -> str:
        return hmac.new(self._secret, address.encode(), hashlib.sha256).hexdigest()[:32]


async def callback_failures(request: Request) -> CallbackFailures:
    """The app's one counter, made on first use from the app's settings and database. `async`: no I/O, so no trip
    through the thread pool."""
    state = request.app.state
    if getattr(state, "callback_failures", None) is None:
        settings = state.settings
        state.callback_failures = CallbackFailures(
            settings.callback_failure_limit, settings.secret_key, SqlCounts(state.engine)
        )
    failures: CallbackFailures = state.callback_failures
    return failures
