"""Counters of what the business rules did, recorded where the rule decides (a new case, a 督办).

They belong to the process (one count however many apps it serves); `api/metrics.py` exposes them at
`GET /metrics` beside the gauges it reads from the projection. Names come from `core.metrics`.
"""

from __future__ import annotations

from prometheus_client import Counter

from core import metrics

BUNDLES_STARTED = Counter(metrics.BUNDLES_STARTED, "Applications accepted as a new case", ["thing"], registry=None)
ESCALATIONS = Counter(metrics.ESCALATIONS, "督办 (escalations) pressed by a supervisor", ["department"], registry=None)
SQL_TRANSACTIONS = Counter(metrics.SQL_TRANSACTIONS, "Transactions begun on the projection", registry=None)
SQL_STATEMENTS = Counter(metrics.SQL_STATEMENTS, "Statements sent to the projection", ["statement"], registry=None)


def record_bundle_started(thing: str) -> None:
    BUNDLES_STARTED.labels(thing=thing).inc()


def record_escalation(department: str) -> None:
    ESCALATIONS.labels(department=department).inc()


def record_sql_transaction() -> None:
    SQL_TRANSACTIONS.inc()


def record_sql_statement(verb: str) -> None:
    SQL_STATEMENTS.labels(statement=verb).inc()
