"""`onething chaos`: the fault suite. Starts its own embedded stack (loopback, free ports, a temp data dir),
breaks it scenario by scenario, prints each scenario's figures against its bar, exits 1 if any bar is missed.

Profiles: `short` runs in the test command (tests/faults/test_chaos_short.py) and holds only scenarios
that meet their bar on main; `full` is the one whose figures docs/reliability.md records. `--only` picks
scenarios by name from either profile (so a scenario can be tried before it is enabled). The last scenario
of every profile replays each history the run finished with today's workflow code.
"""

from __future__ import annotations

import asyncio
import os
import platform
import shutil
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated
from zoneinfo import ZoneInfo

import typer

if TYPE_CHECKING:
    from cli.chaos_scenarios import Outcome, Scenario
    from cli.chaos_stack import ChaosStack

SHANGHAI = ZoneInfo("Asia/Shanghai")


def profiles() -> dict[str, dict[str, Scenario]]:
    """Scenarios in the order they run; `replay` is last so it sees every history the run finished.
    (Imported here, not at the top: `onething` imports a command's code only when that command runs.)"""
    from cli.chaos_scenarios import (
        api_kills,
        bad_input_probes,
        department_outage,
        replay_histories,
        schemathesis_roles,
        stalled_burst,
        temporal_kills,
        worker_kills,
    )

    return {
        "short": {
            "worker-kills": worker_kills(bundles=6, kills=1, interval=2.0),
            "department-outage": department_outage(bundles=5, seconds=6),
            "api-kills": api_kills(keys_count=6, kills=1),
            "replay": replay_histories(),
        },
        "full": {
            # The quick ones first, on a stack no backlog slows: bad input on a fresh API, the burst's latency
            # before 500 bundles are in flight (its 30 cases finish during worker-kills and are replayed with them).
            "bad-input": bad_input_probes(),
            "stalled-burst": stalled_burst(citizens=10, copies=5, decisions=20),
            "worker-kills": worker_kills(bundles=500, kills=20, interval=4.0),
            "api-kills": api_kills(keys_count=30, kills=3),
            "department-outage": department_outage(bundles=30, seconds=60),
            "schemathesis": schemathesis_roles(max_examples=20, max_seconds=150),
            "temporal-kills": temporal_kills(bundles=100, kills=4, within=15),
            "replay": replay_histories(),
        },
    }


def chaos_command(
    profile: Annotated[str, typer.Option(help="short (the test command's) or full (docs/reliability.md)")] = "short",
    only: Annotated[list[str] | None, typer.Option(help="Run just these scenarios (any profile's), in order")] = None,
    keep: Annotated[bool, typer.Option(help="Keep the stack's data dir (logs, databases) after the run")] = False,
) -> None:
    """Break a stack of its own on purpose and print what users would have seen (docs/reliability.md)."""
    known = profiles()
    if profile not in known:
        raise typer.BadParameter(f"profile is one of {', '.join(known)}")
    every = {name: scenario for scenarios in known.values() for name, scenario in scenarios.items()}
    unknown = [name for name in only or [] if name not in every]
    if unknown:
        raise typer.BadParameter(f"no scenario {', '.join(unknown)}; there are {', '.join(every)}")
    chosen = {name: every[name] for name in only} if only else known[profile]
    outcomes = run_suite(chosen, keep=keep)
    if not all(outcome.passed for outcome in outcomes):
        raise typer.Exit(1)


def run_suite(scenarios: dict[str, Scenario], *, keep: bool) -> list[Outcome]:
    from cli.chaos_stack import ChaosStack

    root = Path(tempfile.mkdtemp(prefix="onething-chaos-"))
    began = time.monotonic()
    print(f"onething chaos: {', '.join(scenarios)}", flush=True)
    print(f"  {datetime.now(SHANGHAI):%Y-%m-%d %H:%M} Asia/Shanghai on {machine()}; stack data in {root}", flush=True)
    stack = ChaosStack(root / "data", log=(root / "manager.log").open("a", encoding="utf-8"))
    outcomes: list[Outcome] = []
    try:
        stack.start()
        print(f"  stack up in {time.monotonic() - began:.1f} s", flush=True)
        outcomes = asyncio.run(run_scenarios(stack, scenarios))
    finally:
        stack.stop()
        if keep:
            print(f"  kept {root}", flush=True)
        else:
            shutil.rmtree(root, ignore_errors=True)
    failed = [outcome.scenario for outcome in outcomes if not outcome.passed]
    verdict = f"FAILED: {', '.join(failed)}" if failed else "every bar met"
    print(f"\n{len(outcomes)} scenarios in {time.monotonic() - began:.0f} s: {verdict}", flush=True)
    return outcomes


async def run_scenarios(stack: ChaosStack, scenarios: dict[str, Scenario]) -> list[Outcome]:
    from cli.chaos_scenarios import Outcome

    outcomes = []
    for name, scenario in scenarios.items():
        outcome = Outcome(name)
        began = time.monotonic()
        print(f"\n== {name}", flush=True)
        try:
            await scenario(stack, outcome)
        except Exception as error:  # a scenario that breaks is a failed bar, and the next one still runs
            outcome.add("scenario error", f"{type(error).__name__}: {error}", False)
        outcome.seconds = time.monotonic() - began
        print_outcome(outcome)
        outcomes.append(outcome)
    return outcomes


def print_outcome(outcome: Outcome) -> None:
    for figure in outcome.figures:
        mark = {True: "ok  ", False: "MISS", None: "    "}[figure.ok]
        print(f"  {mark} {figure.label:<52} {figure.value}", flush=True)
    for finding in outcome.findings:
        print(f"       finding: {finding}", flush=True)
    print(f"  {'passed' if outcome.passed else 'FAILED'} in {outcome.seconds:.0f} s", flush=True)


def machine() -> str:
    cores = len(os.sched_getaffinity(0))
    return f"{platform.node() or 'this machine'} ({cores} cores, Python {platform.python_version()})"
