"""One way to open a SQL engine, for our projection and for the department stubs' own database."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine


@dataclass(frozen=True)
class PoolLimits:
    """The connection pool's size and how long a caller waits for a connection (settings `db_pool_*`)."""

    size: int = 5
    overflow: int = 10
    timeout_seconds: float = 30.0


def create_sql_engine(url: str, pool: PoolLimits | None = None) -> Engine:
    """SQLite (the embedded default) gets its folder and pragmas; any other database a health-checked pool.

    Both get a bounded queue pool: a request that finds every connection taken waits `timeout_seconds` and
    then fails (the API answers 503) instead of queueing without end."""
    pool = pool or PoolLimits()
    limits: dict[str, Any] = {
        # A failed statement's message would otherwise carry its parameters (names, ID numbers) into logs and
        # error texts; the SQL and the error stay, the values are replaced by a note that they were hidden.
        "hide_parameters": True,
        "pool_size": pool.size,
        "max_overflow": pool.overflow,
        "pool_timeout": pool.timeout_seconds,
    }
    if not url.startswith("sqlite:///"):
        return create_engine(url, pool_pre_ping=True, **limits)
    Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, **limits)
    event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    # WAL lets readers (API pages, stub listings) run while a writer commits. synchronous=NORMAL in WAL
    # loses nothing on a process crash and at most the last commits on an OS crash or power loss; both
    # databases can be rebuilt (the projection from Temporal history), so the write speed is worth it.
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()
