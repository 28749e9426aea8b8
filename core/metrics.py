"""The product's metrics. Names are `onething_<noun>_<unit>`; labels are low-cardinality and never personal.

They are recorded through the Temporal runtime's metric meter, so the worker's one Prometheus endpoint
(`ONETHING_METRICS_PORT`, default 9464) serves them beside the Temporal SDK's own metrics.

- `onething_department_calls_total{department, operation, outcome}`: calls to department back-ends;
  outcome is `ok`, `refused` (4xx, not retried) or `unavailable` (5xx or network error, retried).
- `onething_department_call_latency_milliseconds{department, operation}`: their latency.
- `onething_items_finished_total{thing, department, item, outcome}`: items that reached a final status.
- `onething_items_breached_total{thing, department, item}`: items that passed their promised date.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio.common import MetricMeter

DEPARTMENT_CALLS = "onething_department_calls_total"
DEPARTMENT_LATENCY = "onething_department_call_latency_milliseconds"
ITEMS_FINISHED = "onething_items_finished_total"
ITEMS_BREACHED = "onething_items_breached_total"


def record_department_call(
    meter: MetricMeter, *, department: str, operation: str, outcome: str, latency: timedelta
) -> None:
    labels = {"department": department, "operation": operation}
    meter.create_counter(DEPARTMENT_CALLS, "Calls to department back-ends").add(1, {**labels, "outcome": outcome})
    meter.create_histogram_timedelta(DEPARTMENT_LATENCY, "Department call latency", "ms").record(latency, labels)


def record_item_finished(meter: MetricMeter, *, thing: str, department: str, item: str, outcome: str) -> None:
    labels = {"thing": thing, "department": department, "item": item, "outcome": outcome}
    meter.create_counter(ITEMS_FINISHED, "Items that reached a final status").add(1, labels)


def record_item_breached(meter: MetricMeter, *, thing: str, department: str, item: str) -> None:
    labels = {"thing": thing, "department": department, "item": item}
    meter.create_counter(ITEMS_BREACHED, "Items past their promised date").add(1, labels)
