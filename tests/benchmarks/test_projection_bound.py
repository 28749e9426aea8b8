"""benchmarks/projection_bound.py: the skipping worker really skips, and the as-is worker really is the product's.

The tool's figures are an upper bound that docs/benchmarks.md argues from; they mean something only if the two
runs differ in exactly the projection's intermediate writes. So one run of each, a few bundles: the skipping
worker's bundles write twice (the case's first state and its last), the product's more often, both complete.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.support.db import postgres_server

pytestmark = [
    pytest.mark.e2e,
    # The bench's stack is the embedded default (SQLite), whatever the test run's database.
    pytest.mark.skipif(
        postgres_server() is not None, reason="runs the embedded (SQLite) stack: covered by the SQLite pass"
    ),
]


def test_the_skipping_worker_writes_only_a_cases_first_and_final_states() -> None:
    run = subprocess.run(
        [sys.executable, "-m", "benchmarks.projection_bound", "--bundles", "3", "--in-flight", "1", "--pairs", "1"],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    print(run.stdout, run.stderr[-3000:])
    assert run.returncode == 0, run.stderr[-4000:]
    rows = {
        cells[0]: cells
        for cells in ([cell.strip() for cell in line.strip("|").split("|")] for line in run.stdout.splitlines())
        if cells[0] in ("as-is", "skip")
    }
    assert rows.keys() == {"as-is", "skip"}
    local_activities, failed = 8, 11
    assert float(rows["skip"][local_activities]) == 2.0
    assert float(rows["as-is"][local_activities]) > 3.0
    assert rows["skip"][failed] == rows["as-is"][failed] == "0"
