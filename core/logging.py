"""One log format for API, worker and stubs: JSON lines in production, readable text in development.

Every line carries the request id (`X-Request-ID`, set by the API's middleware) and the case number when the
code is working on a case, so an operator follows one request or one case across processes; and the trace and
span ids when tracing is on, so a line leads to its trace. The ids are read from context variables when the
line is formatted; synchronous activities run in the worker's thread pool in a copy of the activity's context
(the Temporal SDK copies it for a ThreadPoolExecutor), so their lines carry the activity's trace too
(tests/api/test_tracing.py). Code of ours that hands work to another thread uses `asyncio.to_thread`, which
copies the context as well; a bare `executor.submit` would lose it. Case numbers are business keys (core/ids.py); no
field here ever takes personal data, and messages must not either (DESIGN: personal data).

The standard library's `logging` and `json` are enough for a flat object of known fields: a JSON-logging
library would add a dependency for the same dozen lines.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any, Literal

from opentelemetry import trace
from temporalio import activity

LogFormat = Literal["json", "text"]

request_id_var: ContextVar[str | None] = ContextVar("onething_request_id", default=None)
case_no_var: ContextVar[str | None] = ContextVar("onething_case_no", default=None)

_CASE_WORKFLOW_PREFIX = "case-"  # core.ids.workflow_id: a worker's line names its case through the workflow id
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s%(context)s"


@contextmanager
def case_context(case_no: str) -> Iterator[None]:
    """Lines logged inside name `case_no`; the previous value comes back on exit (nested cases, reused tasks)."""
    token = case_no_var.set(case_no)
    try:
        yield
    finally:
        case_no_var.reset(token)


def context_fields(record: logging.LogRecord) -> dict[str, str]:
    """The ids a line carries besides its message: request, case, trace and span; only those that are known."""
    fields: dict[str, str] = {}
    request_id = request_id_var.get()
    if request_id:
        fields["request_id"] = request_id
    case_no = case_no_var.get() or _case_of_temporal_record(record)
    if case_no:
        fields["case_no"] = case_no
    span = trace.get_current_span().get_span_context()
    if span.is_valid:
        fields["trace_id"] = format(span.trace_id, "032x")
        fields["span_id"] = format(span.span_id, "016x")
    return fields


def _case_of_temporal_record(record: logging.LogRecord) -> str | None:
    """In the worker, the case of the running activity or workflow, from its workflow id (a business key), so
    activity code need not pass the case number to each logger call."""
    workflow_id: object = None
    if activity.in_activity():
        workflow_id = activity.info().workflow_id
    else:
        # The SDK's `workflow.logger` puts the workflow's info on the record as this attribute.
        info = getattr(record, "temporal_workflow", None)
        workflow_id = info.get("workflow_id") if isinstance(info, dict) else None
    if isinstance(workflow_id, str) and workflow_id.startswith(_CASE_WORKFLOW_PREFIX):
        return workflow_id.removeprefix(_CASE_WORKFLOW_PREFIX)
    return None


class JsonFormatter(logging.Formatter):
    """One JSON object per line: timestamp (UTC, ISO 8601), level, logger, message, the context ids, exception."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "timestamp": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            **context_fields(record),
        }
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """The development format, with the same ids appended as `key=value` when known."""

    def __init__(self) -> None:
        super().__init__(TEXT_FORMAT)

    def format(self, record: logging.LogRecord) -> str:
        fields = context_fields(record)
        record.context = "".join(f" {key}={value}" for key, value in fields.items())
        return super().format(record)


def formatter(log_format: LogFormat) -> logging.Formatter:
    return JsonFormatter() if log_format == "json" else TextFormatter()


def configure_logging(log_format: LogFormat, level: int = logging.INFO) -> None:
    """The root logger writes `log_format` lines to stderr; uvicorn's loggers go through it too (run uvicorn
    with `log_config=None`), so access lines carry the request id like every other line."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter(log_format))
    root = logging.getLogger()
    for existing in list(root.handlers):
        root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        uvicorn_logger = logging.getLogger(name)
        uvicorn_logger.handlers.clear()
        uvicorn_logger.propagate = True
