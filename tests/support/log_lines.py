"""What a process logs, formatted as production writes it (core/logging.py's JSON), captured in a test."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from core.logging import JsonFormatter


@dataclass
class LogLine:
    thread: str
    fields: dict[str, Any]


class CapturedLines(logging.Handler):
    """Formats each record where it is logged (its thread, its context), as a production handler does."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(JsonFormatter())
        self.lines: list[LogLine] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(LogLine(threading.current_thread().name, json.loads(self.format(record))))


@contextmanager
def captured_lines(*loggers: str) -> Iterator[CapturedLines]:
    """Every line of `loggers` (the root logger when none is named) at every level, while inside."""
    handler = CapturedLines()
    targets = [logging.getLogger(name) for name in loggers] or [logging.getLogger()]
    levels = [target.level for target in targets]
    for target in targets:
        target.addHandler(handler)
        target.setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        for target, level in zip(targets, levels, strict=True):
            target.removeHandler(handler)
            target.setLevel(level)
