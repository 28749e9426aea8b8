"""The API's Prometheus registry: the services' counters, and gauges read from the projection at scrape time.

Names come from `core.metrics`, which lists every metric of the product. The counters live in
`services/metrics.py` (one count per process, however many apps it serves); each app's registry adds a
collector over its own database. When `onething api` runs several worker processes (api/server.py sets
prometheus-client's multiprocess folder before they start), the counters are read from that folder, summed over
every process, so a scrape answered by any of them gives the API's totals; the gauges are the database's figures
whichever process computes them.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from prometheus_client import CollectorRegistry
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from sqlalchemy.engine import Engine
from sqlmodel import Session

from core import metrics
from core.calendar_year import next_year_missing
from core.clock import Clock
from persistence.live_counts import open_rectification_counts
from persistence.outbox import backlog
from persistence.supervision import item_lights
from services.metrics import BUNDLES_STARTED, ESCALATIONS, SQL_STATEMENTS, SQL_TRANSACTIONS


class ProjectionCollector(Collector):
    """Lights and rectifications as the dashboard counts them now: a red item shows at the next scrape."""

    def __init__(self, engine: Engine, clock: Clock) -> None:
        self._engine = engine
        self._clock = clock

    def collect(self) -> Iterator[Metric]:
        now = self._clock.now()
        with Session(self._engine) as session:
            lights = item_lights(session, by="department", now=now)
            rectifications = open_rectification_counts(session, now=now)
            waiting = backlog(session)
        running = GaugeMetricFamily(
            metrics.RUNNING_ITEMS, "Unfinished items by SLA light", labels=["department", "light"]
        )
        # Every light of a department with running items, so a light that empties reads 0, not "no data".
        for row in lights:
            for light, items in (("green", row.green), ("yellow", row.yellow), ("red", row.red)):
                running.add_metric([row.key, light], items)
        yield running
        opened = GaugeMetricFamily(
            metrics.OPEN_RECTIFICATIONS, "Rectifications waiting for the department", labels=["department"]
        )
        overdue = GaugeMetricFamily(
            metrics.OVERDUE_RECTIFICATIONS, "Rectifications past their reply deadline", labels=["department"]
        )
        for department, open_count, overdue_count in rectifications:
            opened.add_metric([department], open_count)
            overdue.add_metric([department], overdue_count)
        yield opened
        yield overdue
        yield GaugeMetricFamily(metrics.OUTBOX_COMMANDS, "Accepted commands waiting for the case engine", value=waiting)

    def describe(self) -> Iterator[Metric]:
        # Registering must not query a database that may not be there yet.
        yield GaugeMetricFamily(metrics.RUNNING_ITEMS, "", labels=["department", "light"])
        yield GaugeMetricFamily(metrics.OPEN_RECTIFICATIONS, "", labels=["department"])
        yield GaugeMetricFamily(metrics.OVERDUE_RECTIFICATIONS, "", labels=["department"])
        yield GaugeMetricFamily(metrics.OUTBOX_COMMANDS, "")


class CalendarCollector(Collector):
    """1 from December 1st while next year's holidays and make-up workdays are not loaded, else 0: an alert on it
    reaches the operator before deadlines start to run into that year."""

    def __init__(self, folder: Path, clock: Clock) -> None:
        self._folder = folder
        self._clock = clock

    def collect(self) -> Iterator[Metric]:
        missing = next_year_missing(self._folder, self._clock.now())
        help_text = "1 when next year's official holidays and make-up workdays are due but not loaded"
        yield GaugeMetricFamily(metrics.CALENDAR_NEXT_YEAR_MISSING, help_text, value=0 if missing is None else 1)

    def describe(self) -> Iterator[Metric]:
        yield GaugeMetricFamily(metrics.CALENDAR_NEXT_YEAR_MISSING, "")


def metrics_registry(engine: Engine, clock: Clock, calendar_folder: Path) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    shared = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if shared:
        MultiProcessCollector(registry, shared)  # type: ignore[no-untyped-call]  # summed over every process
    else:
        for counter in (BUNDLES_STARTED, ESCALATIONS, SQL_TRANSACTIONS, SQL_STATEMENTS):
            registry.register(counter)
    registry.register(ProjectionCollector(engine, clock))
    registry.register(CalendarCollector(calendar_folder, clock))
    return registry
