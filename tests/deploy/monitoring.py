"""The monitoring files in deploy/ and the metric names they query."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
PROMETHEUS = DEPLOY / "prometheus"
DASHBOARD = DEPLOY / "grafana" / "onething.json"
HISTOGRAM_SERIES = re.compile(r"_(bucket|sum|count)$")


def dashboard() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    return loaded


def dashboard_queries() -> list[str]:
    return [target["expr"] for panel in dashboard()["panels"] for target in panel["targets"]]


def metric_names(expressions: list[str], prefix: str) -> set[str]:
    """Metric names in PromQL expressions, histogram series (`_bucket`, `_sum`, `_count`) as their histogram."""
    found = {name for expression in expressions for name in re.findall(rf"\b{prefix}[a-z_]+", expression)}
    return {HISTOGRAM_SERIES.sub("", name) for name in found}
