"""What the workflow sandbox costs per history, without a server: the committed histories replayed in-process,
the SDK's `SandboxedWorkflowRunner` as it comes against ours (core/workflow_runner.py), in alternating rounds.

    uv run python -m benchmarks.sandbox_replay --rounds 5

A replay is the worker's workflow side alone (decode each activation, run the workflow in a new sandbox, encode
its commands) on the same histories every time, so the two runners do the same work and only the CPU they spend
on it differs; process CPU (all threads) per history is printed, median and best of the rounds.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections.abc import AsyncIterator
from pathlib import Path

from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer, WorkflowRunner
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner

from core.settings import DEV_CODEC_KEY
from core.temporal import data_converter
from core.workflow_runner import sandboxed_runner
from workflows.registry import WORKFLOWS

HISTORIES = Path(__file__).resolve().parents[1] / "tests" / "histories"


async def cpu_ms(runner: WorkflowRunner, histories: list[WorkflowHistory]) -> float:
    converter = data_converter(DEV_CODEC_KEY)  # the key the committed histories were recorded with
    replayer = Replayer(workflows=WORKFLOWS, data_converter=converter, workflow_runner=runner)

    async def each() -> AsyncIterator[WorkflowHistory]:
        for history in histories:
            yield history

    started = time.process_time()
    await replayer.replay_workflows(each())  # one replay worker for all of them, as one worker serves many cases
    return (time.process_time() - started) * 1000


async def measure(rounds: int) -> None:
    paths = sorted(HISTORIES.glob("*.json"))
    histories = [WorkflowHistory.from_json(path.stem, path.read_text(encoding="utf-8")) for path in paths]
    runners: dict[str, WorkflowRunner] = {
        "SandboxedWorkflowRunner (the SDK's)": SandboxedWorkflowRunner(),
        "sandboxed_runner (ours)": sandboxed_runner(data_converter(DEV_CODEC_KEY)),
    }
    for runner in runners.values():  # warm-up: imports, the sandbox's first module loads
        await cpu_ms(runner, histories)
    spent: dict[str, list[float]] = {name: [] for name in runners}
    for _ in range(rounds):
        for name, runner in runners.items():
            spent[name].append(await cpu_ms(runner, histories) / len(histories))
    print(f"{len(histories)} committed histories, {rounds} rounds; process CPU ms per history replayed:\n")
    print("| runner | median | best |\n|---|---|---|")
    for name, figures in spent.items():
        print(f"| {name} | {statistics.median(figures):.1f} | {min(figures):.1f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5, help="replays of all histories per runner (default 5)")
    asyncio.run(measure(parser.parse_args().rounds))


if __name__ == "__main__":
    main()
