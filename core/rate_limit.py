"""Rate limits on what an anonymous caller can repeat cheaply: starting a sign-in and checking a licence.

The `limits` library decides, with its fixed-window strategy: a count per client and scope that starts again
when its window ends (a client may so make up to twice the limit across a window's boundary, never more). Its
counts live in the storage the caller passes: the API passes the projection database's
(persistence/rate_limits.py), so every API process and replica counts the same hits and a restart forgets
nothing; the limit an operator sets is the limit a client meets, whatever `ONETHING_API_WORKERS` is.

Keys hold no personal data: the client address is replaced by a keyed hash (HMAC with the secret key), so
neither the table nor any future log of keys carries an IP address. Behind a proxy, run the API with
uvicorn's proxy headers (`--forwarded-allow-ips`) so the address is the client's, not the proxy's.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import time
from collections.abc import Mapping

from limits import RateLimitItem, parse
from limits.storage import Storage
from limits.strategies import FixedWindowRateLimiter


class RateLimiter:
    def __init__(self, secret: str, limits: Mapping[str, str], storage: Storage) -> None:
        """`limits`: scope -> a `limits` expression, e.g. {"verify": "60/minute"}; `storage`: where counts live."""
        self._secret = secret.encode()
        self._items: dict[str, RateLimitItem] = {scope: parse(text) for scope, text in limits.items()}
        self._windows = FixedWindowRateLimiter(storage)

    def refused(self, scope: str, client: str) -> int | None:
        """Counts one hit of `client` in `scope`: None when allowed, else the seconds until it is again."""
        item = self._items[scope]
        key = hmac.new(self._secret, client.encode(), hashlib.sha256).hexdigest()[:32]
        if self._windows.hit(item, scope, key):
            return None
        reset_at = self._windows.get_window_stats(item, scope, key).reset_time
        return max(1, math.ceil(reset_at - time.time()))
