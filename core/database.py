"""One way to open a SQL engine, for our projection and for the department stubs' own database."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine


def create_sql_engine(url: str) -> Engine:
    """SQLite (the embedded default) gets its folder and pragmas; any other database a health-checked pool."""
    if not url.startswith("sqlite:///"):
        return create_engine(url, pool_pre_ping=True)
    Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
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
