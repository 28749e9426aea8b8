"""Counting the SQL a process sends: transactions begun and statements by verb, for the benchmark's per-bundle
figures (`onething bench`, docs/benchmarks.md) and for anyone reading the metrics.

The counts are recorded through callbacks, so each process keeps its own metric system: the API its
prometheus_client counters, the worker the Temporal runtime's meter.
"""

from __future__ import annotations

import os
import re
import traceback
from collections.abc import Callable
from pathlib import Path
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


TABLE = re.compile(r"\b(?:FROM|INTO|UPDATE)\s+\"?(\w+)", re.IGNORECASE)
"""The first table a statement names: the one it writes, or the one a SELECT reads first."""

PROJECT = f"{Path(__file__).resolve().parents[1]}{os.sep}"


def statement_table(statement: str) -> str:
    match = TABLE.search(statement)
    return match[1] if match else "-"


def trace_sql(engine: Engine, path: Path, process: str) -> None:
    """A diagnostic (ONETHING_SQL_TRACE, benchmarks/sql_statements.py): appends a line per statement to `path`:
    `process` (api, worker), verb, table, whether executemany, and the project's two innermost calling functions.

    Only the statement's shape is written (never its parameters), so no personal data reaches the file.
    """
    trace = path.open("a", encoding="utf-8", buffering=1)  # line-buffered: processes append whole lines

    def on_statement(_conn: Any, _cursor: Any, sql: str, _params: Any, _context: Any, many: bool) -> None:
        callers = [
            f"{frame.filename.removeprefix(PROJECT)}:{frame.name}"
            for frame in traceback.extract_stack(limit=60)[:-1]
            if frame.filename.startswith(PROJECT) and frame.filename != __file__ and ".venv" not in frame.filename
        ]
        where = " < ".join(reversed(callers[-2:])) or "-"
        fields = (process, statement_verb(sql), statement_table(sql), "many" if many else "one", where)
        trace.write("\t".join(fields) + "\n")

    event.listen(engine, "before_cursor_execute", on_statement)
