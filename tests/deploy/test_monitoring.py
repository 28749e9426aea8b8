"""Prometheus config, alert rules (with promtool's unit tests) and the Grafana dashboard, against core/metrics.py."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import httpx
import pytest
import yaml

from api.app import create_app
from core import metrics
from services.metrics import record_escalation
from tests.deploy.monitoring import PROMETHEUS, dashboard, dashboard_queries, metric_names
from tests.support.db import settings_for
from tests.support.scrape import sample
from tests.support.servers import ThreadedServer, free_port

KNOWN = set(metrics.WORKER_METRICS) | set(metrics.API_METRICS)


def promtool(*args: str) -> str:
    tool = shutil.which("promtool")
    assert tool, "promtool is missing: apt-get install prometheus (scripts/test installs it)"
    done = subprocess.run([tool, *args], cwd=PROMETHEUS, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout + done.stderr


def alert_rules() -> list[dict[str, str]]:
    groups = yaml.safe_load((PROMETHEUS / "alerts.yml").read_text(encoding="utf-8"))["groups"]
    return [rule for group in groups for rule in group["rules"]]


@pytest.mark.parametrize("config", ["prometheus.yml", "prometheus.compose.yml"])
def test_scrape_config_and_alert_rules_are_valid(config: str) -> None:
    output = promtool("check", "config", config)
    assert f"SUCCESS: {len(alert_rules())} rules found" in output  # the config loads the rule file


def test_each_alert_fires_on_its_synthetic_series() -> None:
    promtool("test", "rules", "alerts_test.yml")
    tests = yaml.safe_load((PROMETHEUS / "alerts_test.yml").read_text(encoding="utf-8"))["tests"]
    fired = {
        case["alertname"]
        for test in tests
        for case in test["alert_rule_test"]
        if case.get("exp_alerts")  # a test that expects the alert to fire, not only to stay quiet
    }
    assert fired == {rule["alert"] for rule in alert_rules()}


def test_alerts_and_dashboard_query_only_metrics_we_export() -> None:
    alerting = metric_names([rule["expr"] for rule in alert_rules()], "onething_")
    assert alerting <= KNOWN, f"not in core/metrics.py: {alerting - KNOWN}"
    charted = metric_names(dashboard_queries(), "onething_")
    assert charted <= KNOWN, f"not in core/metrics.py: {charted - KNOWN}"
    assert charted == KNOWN, f"no panel for: {KNOWN - charted}"
    for panel in dashboard()["panels"]:
        assert panel["title"]
        assert panel["targets"], f"panel {panel['title']!r} queries nothing"


def test_metrics_module_lists_every_metric_in_its_docstring() -> None:
    assert metrics.__doc__ is not None
    listed = set(re.findall(r"`(onething_[a-z_]+)", metrics.__doc__))
    assert listed == KNOWN
    assert all(re.fullmatch(r"onething_[a-z]+(_[a-z]+)+", name) for name in KNOWN)


async def test_the_api_serves_its_metrics(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, temporal_address=f"127.0.0.1:{free_port()}")  # no Temporal needed
    with ThreadedServer(create_app(settings)) as server:
        async with httpx.AsyncClient(base_url=server.url) as api:
            before = await api.get("/metrics")
            record_escalation("health")
            after = (await api.get("/metrics")).text
    assert before.status_code == 200
    assert before.headers["content-type"].startswith("text/plain")
    for name in metrics.API_METRICS:
        assert f"# TYPE {name} " in before.text, name
    escalations = metrics.ESCALATIONS
    assert sample(after, escalations, department="health") == sample(before.text, escalations, department="health") + 1
