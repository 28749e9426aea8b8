"""Counters of what the business rules did, recorded where the rule decides (a new case, a 督办).

They belong to the process (one count however many apps it serves); `api/metrics.py` exposes them at
`GET /metrics` beside the gauges it reads from the projection. Names come from `core.metrics`.
"""

from __future__ import annotations

from prometheus_client import Counter

from core import metrics

BUNDLES_STARTED = Counter(metrics.BUNDLES_STARTED, "Applications accepted as a new case", ["thing"], registry=None)
ESCALATIONS = Counter(metrics.ESCALATIONS, "督办 (escalations) pressed by a supervisor", ["department"], registry=None)


def record_bundle_started(thing: str) -> None:
    BUNDLES_STARTED.labels(thing=thing).inc()


def record_escalation(department: str) -> None:
    ESCALATIONS.labels(department=department).inc()
