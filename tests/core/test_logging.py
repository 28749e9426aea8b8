"""The log line format: JSON with the request, case and trace ids; text with the same ids in development."""

from __future__ import annotations

import json
import logging

from opentelemetry.sdk.trace import TracerProvider

from core.logging import JsonFormatter, TextFormatter, case_context, request_id_var


def record(message: str = "started %s", *args: object) -> logging.LogRecord:
    return logging.LogRecord("onething.test", logging.INFO, __file__, 1, message, args or ("x",), None)


def test_a_json_line_has_the_fields_and_the_known_ids() -> None:
    token = request_id_var.set("req-12345678")
    try:
        with case_context("20261206-7K3Q9XM4"):
            line = json.loads(JsonFormatter().format(record()))
    finally:
        request_id_var.reset(token)
    assert line["level"] == "INFO"
    assert line["logger"] == "onething.test"
    assert line["message"] == "started x"
    assert line["timestamp"].endswith("+00:00")
    assert line["request_id"] == "req-12345678"
    assert line["case_no"] == "20261206-7K3Q9XM4"
    assert "trace_id" not in line  # tracing off: no ids, no empty fields


def test_ids_are_absent_outside_a_request_and_a_case() -> None:
    line = json.loads(JsonFormatter().format(record()))
    assert set(line) == {"timestamp", "level", "logger", "message"}


def test_a_line_inside_a_span_carries_its_trace_and_span_ids() -> None:
    tracer = TracerProvider().get_tracer("test")  # a private provider: the global one stays unset
    with tracer.start_as_current_span("work") as span:
        line = json.loads(JsonFormatter().format(record()))
        context = span.get_span_context()
    assert line["trace_id"] == format(context.trace_id, "032x")
    assert line["span_id"] == format(context.span_id, "016x")


def test_a_worker_line_names_the_case_of_its_workflow() -> None:
    line = record()
    line.temporal_workflow = {"workflow_id": "case-20261206-7K3Q9XM4", "workflow_type": "OneThingWorkflow"}
    assert json.loads(JsonFormatter().format(line))["case_no"] == "20261206-7K3Q9XM4"


def test_the_text_format_appends_the_ids() -> None:
    with case_context("20261206-7K3Q9XM4"):
        text = TextFormatter().format(record())
    assert text.endswith("started x case_no=20261206-7K3Q9XM4")
