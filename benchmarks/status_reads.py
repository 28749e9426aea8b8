"""Status reads alone: the API's CPU per read of a finished case, on the bench's real stack.

`onething bench` measures status reads only after six minutes of bundles; this starts the same stack
(benchmarks/bench.py: its own Temporal dev server, stubs, worker and API on free ports), runs a few newborn
bundles to completion, then reads their statuses at fixed rates (open loop, benchmarks/bench_reads.py) and
prints, per rate, the figures of the bench's status-read table. `--profile FILE` records the API process
with py-spy during the last rate (an SVG flame graph, or collapsed stacks if FILE ends in .txt), the way
its CPU was found (docs/benchmarks.md).

    uv run python -m benchmarks.status_reads --cases 6 --rates 100 300 --seconds 10 [--api-workers 2] [--profile a.svg]

`--api-workers N` runs the API as N uvicorn processes (ONETHING_API_WORKERS); its CPU is theirs summed.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx

from benchmarks.bench import READER_CONNECTIONS, Bench, CpuClock, Profile, bench_stack
from benchmarks.bench_reads import read_at_rate
from cli.chaos_stack import CITIZEN
from core.auth import Role


async def measure(cases: int, rates: list[float], seconds: float, profile_svg: str | None) -> list[dict[str, Any]]:
    profile = Profile(
        "reads", {}, warmup=cases, read_rates=tuple(rates), read_seconds=seconds, history_sample=0, alone=0
    )
    with bench_stack(50, sys.stderr) as stack:
        await stack.wait_serving(f"http://127.0.0.1:{stack.settings.worker_health_port}/readyz")
        bench = Bench(stack, profile, 50, sys.stderr)
        async with stack.api() as api:
            bench.api, bench.product_client = api, await stack.temporal()
            for _ in range(cases):
                await bench._one_product()
        paths = [f"/api/v1/applications/{case_no}" for case_no in bench.finished_cases]
        headers = {"Authorization": f"Bearer {stack.token(Role.CITIZEN, CITIZEN)}"}
        limits = httpx.Limits(max_connections=READER_CONNECTIONS, max_keepalive_connections=READER_CONNECTIONS)
        cpu = CpuClock(stack.pid)
        rows = []
        async with httpx.AsyncClient(
            base_url=stack.settings.api_url, headers=headers, limits=limits, timeout=30, trust_env=False
        ) as reader:
            await read_at_rate(reader, paths, 50, 1)  # connections and caches: not what is measured
            for index, rate in enumerate(rates):
                spy = None
                if profile_svg and index == len(rates) - 1:
                    spy = _py_spy(stack.pid("api"), profile_svg, seconds)
                before = cpu.read()
                figures = (await read_at_rate(reader, paths, rate, seconds)).as_dict()
                after = cpu.read()
                if spy is not None:
                    spy.wait()
                figures["api_cpu_ms_per_read"] = (after["api"] - before["api"]) * 1000 / max(figures["sent"], 1)
                figures["reader_cpu_ms_per_read"] = (after["bench"] - before["bench"]) * 1000 / max(figures["sent"], 1)
                rows.append(figures)
    return rows


def _py_spy(pid: int | None, svg: str, seconds: float) -> subprocess.Popen[bytes] | None:
    py_spy = shutil.which("py-spy", path=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    if pid is None or py_spy is None:
        print("py-spy or the API's pid not found: no profile", file=sys.stderr)
        return None
    # The API part may be a launcher; --subprocesses follows it to the uvicorn process.
    form = "raw" if svg.endswith(".txt") else "flamegraph"  # raw: collapsed stacks, one a line, to grep
    # --gil: only the thread holding the GIL is sampled, i.e. where the Python CPU goes, not threads waiting.
    argv = [py_spy, "record", "--gil", "--subprocesses", "-f", form, "-o", svg, "-d", str(int(seconds))]
    argv += ["--pid", str(pid)]
    return subprocess.Popen(argv, stdout=subprocess.DEVNULL)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=6, help="finished newborn cases to read (default 6)")
    parser.add_argument("--rates", type=float, nargs="+", default=[100.0, 300.0], help="req/s, one run each")
    parser.add_argument("--seconds", type=float, default=10.0, help="seconds per rate (default 10)")
    parser.add_argument("--api-workers", type=int, help="API processes (ONETHING_API_WORKERS; default: settings)")
    parser.add_argument(
        "--profile", metavar="SVG", help="py-spy flame graph of the API during the last rate (.txt: collapsed stacks)"
    )
    args = parser.parse_args()
    if args.api_workers is not None:
        os.environ["ONETHING_API_WORKERS"] = str(args.api_workers)  # the stack's processes inherit it
    rows = asyncio.run(measure(args.cases, args.rates, args.seconds, args.profile))
    print(
        "| target req/s | sent | missed | late | errors | achieved req/s | p50 ms | p99 ms "
        "| API CPU ms/read | reader CPU ms/read |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for row in rows:
        print(
            f"| {row['target_per_s']:g} | {row['sent']} | {row['missed']} | {row['late']} | {row['errors']} "
            f"| {row['achieved_per_s']:.1f} | {row['p50_ms']:.1f} | {row['p99_ms']:.1f} "
            f"| {row['api_cpu_ms_per_read']:.2f} | {row['reader_cpu_ms_per_read']:.2f} |"
        )


if __name__ == "__main__":
    main()
