"""The product's metrics. Names are `onething_<noun>_<unit>`; labels are low-cardinality and never personal.

Worker (`ONETHING_METRICS_PORT`, default 9464), recorded through the Temporal runtime's metric meter, so the
worker's one Prometheus endpoint serves them beside the Temporal SDK's own `temporal_*` metrics. Workflow
code records through `workflow.metric_meter()`, which records nothing while a history is replayed and adds
no command to it:

- `onething_department_calls_total{department, operation, outcome}`: calls to department back-ends;
  outcome is `ok`, `refused` (4xx, not retried) or `unavailable` (5xx or network error, retried).
- `onething_department_call_latency_milliseconds{department, operation}`: their latency.
- `onething_items_finished_total{thing, department, item, outcome}`: items that reached a final status.
- `onething_items_breached_total{thing, department, item}`: items that passed their promised date.
- `onething_item_duration_seconds{thing, department, item, outcome}`: an item's start to its final status.
- `onething_bundles_completed_total{thing, outcome}`: cases that finished; outcome is the case status
  (`completed`, `rejected`, `withdrawn`).
- `onething_bundle_duration_seconds{thing, outcome}`: a case's acceptance to its end.
- `onething_sql_transactions_total`, `onething_sql_statements_total{statement}`: see the API's below.

API (`GET /metrics` on the API port):

- `onething_bundles_started_total{thing}`: applications accepted as a new case.
- `onething_escalations_total{department}`: 督办 pressed by a supervisor.
- `onething_running_items{department, light}`: unfinished items by SLA light (`green`, `yellow`, `red`),
  counted from the projection when scraped, as the supervision dashboard counts them (the stored light,
  or what the item's deadlines say by now).
- `onething_open_rectifications{department}`: rectifications waiting for the department's reply, from the
  projection when scraped.
- `onething_overdue_rectifications{department}`: those of them past their reply deadline.
- `onething_sql_transactions_total`: transactions this process began on the projection (committed or rolled
  back; the scrape's own gauge queries included); the worker counts its own the same way.
- `onething_sql_statements_total{statement}`: statements sent to the projection; statement is `select`,
  `insert`, `update`, `delete` or `other`. `onething bench` divides both by the bundles it ran.
- `onething_outbox_commands`: accepted commands (an application's start) still waiting to reach Temporal; above 0
  for more than a minute means the case engine is unreachable from the API (services/outbox.py).

- `onething_calendar_next_year_missing`: 1 from December 1st (Asia/Shanghai) while next year's official
  holidays and make-up workdays are neither loaded (`onething calendar load`) nor in the installed `holidays`
  package, else 0 (docs/calendar.md). Alert on `== 1`.

The four projection gauges come from the one database, so every API replica reports the same whole figure: dashboards
and alerts aggregate them over replicas with `max`, never `sum` (counters are per process and are summed).
Any replica being scraped keeps them, with no process singled out.

Durations are seconds of calendar time (a case takes working days, so their buckets reach 100 days).
"""

from __future__ import annotations

from datetime import timedelta

from temporalio.common import MetricMeter

DEPARTMENT_CALLS = "onething_department_calls_total"
DEPARTMENT_LATENCY = "onething_department_call_latency_milliseconds"
ITEMS_FINISHED = "onething_items_finished_total"
ITEMS_BREACHED = "onething_items_breached_total"
ITEM_DURATION = "onething_item_duration_seconds"
BUNDLES_COMPLETED = "onething_bundles_completed_total"
BUNDLE_DURATION = "onething_bundle_duration_seconds"
SQL_TRANSACTIONS = "onething_sql_transactions_total"
SQL_STATEMENTS = "onething_sql_statements_total"

BUNDLES_STARTED = "onething_bundles_started_total"
ESCALATIONS = "onething_escalations_total"
RUNNING_ITEMS = "onething_running_items"
OPEN_RECTIFICATIONS = "onething_open_rectifications"
OVERDUE_RECTIFICATIONS = "onething_overdue_rectifications"
OUTBOX_COMMANDS = "onething_outbox_commands"
CALENDAR_NEXT_YEAR_MISSING = "onething_calendar_next_year_missing"

WORKER_METRICS = (
    DEPARTMENT_CALLS,
    DEPARTMENT_LATENCY,
    ITEMS_FINISHED,
    ITEMS_BREACHED,
    ITEM_DURATION,
    BUNDLES_COMPLETED,
    BUNDLE_DURATION,
    SQL_TRANSACTIONS,
    SQL_STATEMENTS,
)
API_METRICS = (
    BUNDLES_STARTED,
    ESCALATIONS,
    RUNNING_ITEMS,
    OPEN_RECTIFICATIONS,
    OVERDUE_RECTIFICATIONS,
    OUTBOX_COMMANDS,
    SQL_TRANSACTIONS,
    SQL_STATEMENTS,
    CALENDAR_NEXT_YEAR_MISSING,
)

_DAY = 86400.0
DURATION_BUCKETS_SECONDS = (
    *(1.0, 5.0, 30.0, 60.0, 300.0, 3600.0, 4 * 3600.0),
    *(day * _DAY for day in (1, 2, 5, 10, 20, 30, 60, 100)),
)
"""Seconds for a demo case on the embedded stack, days for a real one."""
LATENCY_BUCKETS_MILLISECONDS = (10.0, 25.0, 50.0, 100.0, 250.0, 500.0, 1e3, 2.5e3, 5e3, 10e3, 30e3, 60e3)
"""Up to the department call's 60 s time-out."""
HISTOGRAM_BUCKETS = {
    DEPARTMENT_LATENCY: LATENCY_BUCKETS_MILLISECONDS,
    ITEM_DURATION: DURATION_BUCKETS_SECONDS,
    BUNDLE_DURATION: DURATION_BUCKETS_SECONDS,
}
"""For the worker runtime's Prometheus exporter, whose default buckets suit milliseconds, not days."""


def record_department_call(
    meter: MetricMeter, *, department: str, operation: str, outcome: str, latency: timedelta
) -> None:
    labels = {"department": department, "operation": operation}
    meter.create_counter(DEPARTMENT_CALLS, "Calls to department back-ends").add(1, {**labels, "outcome": outcome})
    meter.create_histogram_timedelta(DEPARTMENT_LATENCY, "Department call latency", "ms").record(latency, labels)


def record_item_finished(
    meter: MetricMeter, *, thing: str, department: str, item: str, outcome: str, duration: timedelta
) -> None:
    labels = {"thing": thing, "department": department, "item": item, "outcome": outcome}
    meter.create_counter(ITEMS_FINISHED, "Items that reached a final status").add(1, labels)
    histogram = meter.create_histogram_float(ITEM_DURATION, "Item start to final status", "s")
    histogram.record(duration.total_seconds(), labels)


def record_item_breached(meter: MetricMeter, *, thing: str, department: str, item: str) -> None:
    labels = {"thing": thing, "department": department, "item": item}
    meter.create_counter(ITEMS_BREACHED, "Items past their promised date").add(1, labels)


def record_bundle_finished(meter: MetricMeter, *, thing: str, outcome: str, duration: timedelta) -> None:
    labels = {"thing": thing, "outcome": outcome}
    meter.create_counter(BUNDLES_COMPLETED, "Cases that finished").add(1, labels)
    histogram = meter.create_histogram_float(BUNDLE_DURATION, "Case acceptance to its end", "s")
    histogram.record(duration.total_seconds(), labels)
