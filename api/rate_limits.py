"""The rate-limit dependency of the routes an anonymous caller can repeat cheaply (core/rate_limit.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

from fastapi import Request
from sqlalchemy.engine import Engine

from api.openapi import sends
from api.problems import ProblemError
from core.rate_limit import RateLimiter
from core.settings import Settings
from persistence.rate_limits import SqlCounts

Scope = Literal["signin", "verify"]
WHAT = {"signin": "sign-in attempts", "verify": "licence checks"}


def rate_limiter(settings: Settings, engine: Engine) -> RateLimiter:
    """Counts in the projection database: one limit across every API process and replica (core/rate_limit.py)."""
    return RateLimiter(
        settings.secret_key,
        {"signin": settings.rate_limit_signin, "verify": settings.rate_limit_verify},
        SqlCounts(engine),
    )


def limited(scope: Scope) -> Callable[[Request], None]:
    @sends(429)
    def check(request: Request) -> None:  # plain `def`: its count is SQL, so it runs in the thread pool
        limiter: RateLimiter = request.app.state.rate_limiter
        retry_after = limiter.refused(scope, request.client.host if request.client else "")
        if retry_after is not None:
            raise ProblemError(
                429,
                "Too many requests",
                f"Too many {WHAT[scope]} from this address; try again in {retry_after} s.",
                headers={"Retry-After": str(retry_after)},
                rule=f"too_many_{scope}",  # pages say it in their language (api/pages/i18n.py)
                retry_after=retry_after,
            )

    return check
