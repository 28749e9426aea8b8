"""`onething bench --quick`: a stack of its own, bare DAG and product side by side, every figure in its JSON.

Asserts that each figure is there and plausible (counts above zero, ratios finite, quantiles ordered),
never how fast anything was: the figures are for people to read (docs/benchmarks.md).
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from benchmarks.bench import KINDS, PROCESSES
from tests.support.db import postgres_server

pytestmark = [
    pytest.mark.e2e,
    # Its stack is the embedded default (SQLite), whatever the test run's database, as the fault suite's.
    pytest.mark.skipif(
        postgres_server() is not None, reason="runs the embedded (SQLite) stack: covered by the SQLite pass"
    ),
]

ONETHING = [sys.executable, "-c", "from cli.main import main; main()"]
NEWBORN_ITEMS = 5
UPDATE_ITEMS = 1
"""The newborn's items answered by update in the bench's catalogue: the hukou registration's callback (the
clerk's item is switched to sync REST)."""


def onething(*args: str, timeout: float) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*ONETHING, *args], capture_output=True, text=True, timeout=timeout, check=False)


def finite_positive(value: Any) -> bool:
    return isinstance(value, int | float) and math.isfinite(value) and value > 0


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], str, Path]:
    out = tmp_path_factory.mktemp("bench") / "quick.json"
    run = onething("bench", "--quick", "--out", str(out), timeout=600)  # a bound: the run prints its own seconds
    print(run.stdout[-6000:])
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-4000:]
    return json.loads(out.read_text(encoding="utf-8")), run.stdout, out


def test_each_level_has_both_sides_with_every_figure(quick_run: tuple[dict[str, Any], str, Path]) -> None:
    result, stdout, _ = quick_run
    assert [level["in_flight"] for level in result["levels"]] == [1, 3]
    # birth certificate -> hukou -> social security card / medical insurance, each department at 50 ms
    assert result["meta"]["critical_path_s"] == pytest.approx(0.15)
    for level in result["levels"]:
        assert finite_positive(level["product_over_bare"])
        assert finite_positive(level["product_over_bare_updates"])
        for kind in KINDS:
            phase = level[kind]
            assert phase["bundles"] > 0
            assert phase["failed"] == 0
            assert finite_positive(phase["bundles_per_s"])
            assert 0 < phase["p50_s"] <= phase["p95_s"] <= phase["p99_s"] < math.inf
            assert set(phase["cpu_ms_per_bundle"]) == {*PROCESSES, "bench"}
            per = phase["per_bundle"]
            assert {"local_activities", "sql_select", "sql_insert", "sql_update", "sql_delete"} <= set(per)
            assert finite_positive(per["workflow_tasks"])
            assert finite_positive(per["history_events"])
        bare, product = level["bare"], level["product"]
        assert bare["per_bundle"]["activities"] == NEWBORN_ITEMS  # one per newborn item, nothing else
        shaped = level["bare_updates"]  # the same, and the product's updates: one per item answered from outside
        assert shaped["per_bundle"]["activities"] == NEWBORN_ITEMS
        assert shaped["history_breakdown"]["workflow_execution_update_completed"] == UPDATE_ITEMS
        assert "workflow_execution_update_completed" not in bare["history_breakdown"]
        assert finite_positive(shaped["cpu_ms_per_bundle"]["bare_worker"])
        trip = shaped["update_round_trip_ms"]
        assert 0 < trip["p50"] <= trip["p99"] <= trip["max"] < math.inf
        assert product["per_bundle"]["activities"] >= NEWBORN_ITEMS
        assert finite_positive(product["per_bundle"]["sql_transactions"])
        for part in ("temporal", "worker", "api", "departments"):
            assert finite_positive(product["cpu_ms_per_bundle"][part]), part
        assert finite_positive(bare["cpu_ms_per_bundle"]["bare_worker"])
        # the breakdown adds up to the headline counts it explains
        for phase in (bare, shaped, product):
            breakdown = phase["history_breakdown"]
            activities = sum(count for name, count in breakdown.items() if name.startswith("activity:"))
            events = sum(count for name, count in breakdown.items() if not name.startswith("activity:"))
            assert activities == pytest.approx(phase["per_bundle"]["activities"])
            assert events == pytest.approx(phase["per_bundle"]["history_events"])
        assert product["history_breakdown"]["activity:submit_to_department"] >= NEWBORN_ITEMS
    assert "product ÷ bare" in stdout
    assert "product ÷ bare_updates" in stdout
    alone = result["alone_no_polling"]  # the newborn with no batch item: nothing in it polls
    assert alone["bundles"] > 0
    assert alone["failed"] == 0
    assert result["meta"]["critical_path_s"] < alone["p50_s"] <= alone["p99_s"]
    assert "activity:await_batch_result" not in alone["history_breakdown"]
    assert alone["history_breakdown"]["activity:submit_to_department"] == NEWBORN_ITEMS
    assert "One bundle alone, no item polls" in stdout
    assert "by event type and by activity" in stdout


def test_status_reads_are_sent_at_each_rate(quick_run: tuple[dict[str, Any], str, Path]) -> None:
    result, _, _ = quick_run
    reads = result["status_reads"]
    assert len(reads) == 2
    assert reads[0]["target_per_s"] < reads[1]["target_per_s"]
    for figures in reads:
        assert figures["scheduled"] == figures["sent"] + figures["missed"]
        assert figures["errors"] == 0
        assert finite_positive(figures["achieved_per_s"])
        assert 0 < figures["p50_ms"] <= figures["p99_ms"] < math.inf


def test_two_runs_compare_figure_by_figure(quick_run: tuple[dict[str, Any], str, Path], tmp_path: Path) -> None:
    result, _, first = quick_run
    faster = json.loads(json.dumps(result))
    faster["levels"][1]["product"]["bundles_per_s"] *= 2
    second = tmp_path / "faster.json"
    second.write_text(json.dumps(faster), encoding="utf-8")
    compared = onething("bench", "--compare", str(first), str(second), timeout=60)
    assert compared.returncode == 0, compared.stderr
    row = next(line for line in compared.stdout.splitlines() if line.startswith("| @3.product.bundles_per_s |"))
    assert row.endswith("| +100 % |")
    for baseline in ("bare", "bare_updates"):
        unchanged = next(
            line for line in compared.stdout.splitlines() if line.startswith(f"| @3.{baseline}.bundles_per_s |")
        )
        assert unchanged.endswith("| +0 % |")
