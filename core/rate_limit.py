"""Rate limits on what an anonymous caller can repeat cheaply: starting a sign-in and checking a licence.

The `limits` library counts hits in a moving window. Storage is in memory, per process: with N API
processes a client gets up to N times the limit, and a restart forgets the counts. That is enough against
a script hammering one process (the abuse these limits are for); a deployment that needs one shared count
points `limits` at Redis instead (its storage URI), a change of this module only.

Keys hold no personal data: the client address is replaced by a keyed hash (HMAC with the secret key), so
neither memory dumps nor any future log of keys carries an IP address. Behind a proxy, run the API with
uvicorn's proxy headers (`--forwarded-allow-ips`) so the address is the client's, not the proxy's.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import time
from collections.abc import Mapping

from limits import RateLimitItem, parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter


class RateLimiter:
    def __init__(self, secret: str, limits: Mapping[str, str]) -> None:
        """`limits`: scope -> a `limits` expression, e.g. {"verify": "60/minute"}."""
        self._secret = secret.encode()
        self._items: dict[str, RateLimitItem] = {scope: parse(text) for scope, text in limits.items()}
        self._windows = MovingWindowRateLimiter(MemoryStorage())

    def refused(self, scope: str, client: str) -> int | None:
        """Counts one hit of `client` in `scope`: None when allowed, else the seconds until it is again."""
        item = self._items[scope]
        key = hmac.new(self._secret, client.encode(), hashlib.sha256).hexdigest()[:32]
        if self._windows.hit(item, scope, key):
            return None
        reset_at = self._windows.get_window_stats(item, scope, key).reset_time
        return max(1, math.ceil(reset_at - time.time()))
