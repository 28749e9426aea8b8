"""Counting the SQL a process sends: transactions begun and statements by verb, for the benchmark's per-bundle
figures (`onething bench`, docs/benchmarks.md) and for anyone reading the metrics.

The counts are recorded through callbacks, so each process keeps its own metric system: the API its
prometheus_client counters, the worker the Temporal runtime's meter.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

VERBS = frozenset({"select", "insert", "update", "delete"})
"""Statement labels; anything else (PRAGMA, savepoints, DDL) is counted as `other`."""


def statement_verb(statement: str) -> str:
    words = statement.lstrip().split(None, 1)
    verb = words[0].lower() if words else ""
    return verb if verb in VERBS else "other"


def count_sql(engine: Engine, *, transaction: Callable[[], None], statement: Callable[[str], None]) -> None:
    """Calls `transaction()` at each transaction the engine begins (committed or rolled back) and
    `statement(verb)` before each statement it executes."""

    def on_begin(_connection: Any) -> None:
        transaction()

    def on_statement(_conn: Any, _cursor: Any, sql: str, _params: Any, _context: Any, _many: bool) -> None:
        statement(statement_verb(sql))

    event.listen(engine, "begin", on_begin)
    event.listen(engine, "before_cursor_execute", on_statement)
