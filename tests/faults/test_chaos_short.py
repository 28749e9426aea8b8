"""`onething chaos --profile short` in the test command: a stack of its own, broken on purpose, every bar met.

The suite runs as its own process (it puts its stack's settings in its environment for the parts it
starts). Its figures are printed; this test asserts the verdict and that each scenario reported.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from cli.chaos import profiles
from tests.support.db import postgres_server

pytestmark = [
    pytest.mark.e2e,
    # The suite's stack is the embedded default (SQLite, cli/chaos_stack.py), whatever the test run's database:
    # in the PostgreSQL pass of scripts/test it would repeat the SQLite pass's run to the byte, for two minutes.
    pytest.mark.skipif(
        postgres_server() is not None, reason="runs the embedded (SQLite) stack: covered by the SQLite pass"
    ),
]


def test_short_fault_profile_meets_every_bar() -> None:
    run = subprocess.run(
        [sys.executable, "-c", "from cli.main import main; main()", "chaos", "--profile", "short"],
        capture_output=True,
        text=True,
        timeout=480,  # a bound, not a speed figure: the suite itself prints its seconds
        check=False,
    )
    print(run.stdout)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    for scenario in profiles()["short"]:
        assert f"== {scenario}" in run.stdout
    assert "MISS" not in run.stdout
    assert "every bar met" in run.stdout
