"""Two API replicas over one database, scraped together: the dashboard and the alerts count each item once.

Every replica counts the gauges of global state (lights, rectifications) from the same database, so each
reports the whole figure; the queries take `max` over replicas (deploy/prometheus/alerts.yml says why). This
test scrapes two registries built as two API processes build theirs, loads both scrapes into promtool as two
instances, and checks that every query over those gauges gives what one replica alone gives.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path

import yaml
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from api.metrics import metrics_registry
from core import metrics
from core.clock import SYSTEM_CLOCK
from tests.deploy.monitoring import dashboard_queries
from tests.deploy.test_monitoring import alert_rules, promtool
from tests.support.inprocess import in_process_api

GAUGES = (metrics.RUNNING_ITEMS, metrics.OPEN_RECTIFICATIONS, metrics.OVERDUE_RECTIFICATIONS)
_METRIC = re.compile(r"\b(onething_[a-z_]+)(\{([^}]*)\})?")


def only_instance(query: str, instance: str) -> str:
    """`query` over one replica's series: every selector of ours gets `instance="…"`."""

    def narrowed(match: re.Match[str]) -> str:
        matchers = [m for m in (match.group(3) or "").split(",") if m.strip()]
        matchers.append(f'instance="{instance}"')
        return match.group(1) + "{" + ",".join(matchers) + "}"

    return _METRIC.sub(narrowed, query)


class AYearOn:
    def now(self) -> datetime:
        return SYSTEM_CLOCK.now() + timedelta(days=365)


def input_series(exposition: str, instance: str) -> list[dict[str, str]]:
    series = []
    for family in text_string_to_metric_families(exposition):
        if family.name not in GAUGES:
            continue
        for sample in family.samples:
            labels = ",".join(f'{k}="{v}"' for k, v in {**sample.labels, "instance": instance}.items())
            series.append({"series": f"{sample.name}{{{labels}}}", "values": f"{sample.value:g}x2"})
    return series


async def test_two_replicas_scraped_together_count_each_item_once(tmp_path: Path) -> None:
    async with in_process_api(tmp_path / "api") as api:
        for citizen in ("citizen-replica-1", "citizen-replica-2"):
            await api.submit(citizen)  # the fake engine projects its running items
        # What a second API process builds: its own registry over the same database.
        # A year on, every item is past its promised date: the red figures are not zero.
        registries = [metrics_registry(api.engine, AYearOn(), tmp_path / "calendar") for _ in range(2)]
        scrapes = [generate_latest(registry).decode() for registry in registries]
    series = input_series(scrapes[0], "api-1:8000") + input_series(scrapes[1], "api-2:8000")
    red = [s for s in series if s["series"].startswith(metrics.RUNNING_ITEMS) and 'light="red"' in s["series"]]
    assert red, "no red item was counted: the comparison would prove nothing"
    assert all(not s["values"].startswith("0") for s in red)

    queries = [q for q in dashboard_queries() + [r["expr"] for r in alert_rules()] if any(g in q for g in GAUGES)]
    assert len(queries) >= 4
    tests = []
    for query in queries:
        whole = query.split(" > ")[0]  # an alert's condition: compare its figure
        one = only_instance(whole, "api-1:8000")
        # Empty means: the same series with the same values, over both replicas as over one.
        tests.append(
            {
                "expr": f"(({whole}) != ({one})) or (({whole}) unless ({one})) or (({one}) unless ({whole}))",
                "eval_time": "1m",
                "exp_samples": [],
            }
        )
    # And the old `sum` over replicas would have been wrong: it doubles.
    tests.append(
        {
            "expr": f'sum({metrics.RUNNING_ITEMS}) == 2 * sum({metrics.RUNNING_ITEMS}{{instance="api-1:8000"}})',
            "eval_time": "1m",
            "exp_samples": [{"labels": "{}", "value": float(2 * sum_running(series))}],
        }
    )
    rules = tmp_path / "replicas_test.yml"
    rules.write_text(
        yaml.safe_dump(
            {
                "evaluation_interval": "1m",
                "tests": [{"interval": "1m", "input_series": series, "promql_expr_test": tests}],
            }
        ),
        encoding="utf-8",
    )
    promtool("test", "rules", str(rules))


def sum_running(series: list[dict[str, str]]) -> float:
    return sum(
        float(s["values"].split("x")[0])
        for s in series
        if 'instance="api-1:8000"' in s["series"] and s["series"].startswith(metrics.RUNNING_ITEMS)
    )
