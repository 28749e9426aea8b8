"""The one way an async service function (one that calls the case engine) runs its SQL.

SQLAlchemy sessions block, so on the event loop a slow query or a pool with every connection taken would freeze
every request of the process, `/healthz` included. Plain `def` routes already run in FastAPI's thread pool; an
`async def` service that must await Temporal runs each block of SQL here instead: in that same thread pool (anyio's
limiter, sized by setting `api_threads`), then committed, which returns the connection to the pool before the
case engine is awaited (DESIGN: no database connection is held across a Temporal call). That commit does not
expire what was read, so it stays readable on the loop without another query.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ParamSpec, TypeVar

from anyio import to_thread
from sqlmodel import Session

P = ParamSpec("P")
T = TypeVar("T")


async def committed(session: Session, work: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
    """Runs `work(*args, **kwargs)` in the thread pool and commits `session` there; returns what `work` returned."""

    def run() -> T:
        result = work(*args, **kwargs)
        # What was read stays loaded: with the usual expiry on commit, the next attribute read on the event loop
        # would query again, on the loop, holding a connection across whatever is awaited next.
        expiring, session.expire_on_commit = session.expire_on_commit, False
        try:
            session.commit()
        finally:
            session.expire_on_commit = expiring
        return result

    return await to_thread.run_sync(run)
