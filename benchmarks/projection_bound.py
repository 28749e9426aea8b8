"""The most that moving the projection's intermediate writes out of the history could give (issue 15), measured.

    uv run python -m benchmarks.projection_bound --bundles 100 --pairs 2

The lever left in docs/benchmarks.md ("Where issue 15 stands") is structural: the workflow would write only its
first and final states through a local activity, and its states in between some other way, outside the history.
Before anyone builds that, this measures its ceiling: the bench's stack and phases at one level (bare DAG, bare DAG
with updates, product), once with the product's worker as it is and once with a worker whose cases **skip** every
write of an open case after the first (`CaseProjector.write` replaced in that worker process only, as
benchmarks/projection_modes.py replaces it: the workflow imports workflows.projection passed through its
sandbox). Nothing replaces the skipped writes, so this is an upper bound of the lever, not a design: pages would
show a case only when it opens and when it closes, and the citizen's messages written with intermediate states are
not written.

Runs are interleaved as-is, skip, skip, as-is, … (`--pairs` of each), each on a fresh stack, and printed as one
table: bundles/s of each side, the ratio, CPU ms per bundle by process (and the Temporal server's for the bare DAG
with the product's updates: the floor of the product's own flow), and the product's local activities,
workflow tasks and history events per bundle.

`--worker` is how the stack starts the skipping worker (the module replaces the write, then runs `onething worker`).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from typing import Any

from workflows.contracts import CaseState, CaseStatus

OPEN = (CaseStatus.RUNNING, CaseStatus.WAITING_CITIZEN)
AS_IS, SKIP = "as-is", "skip"


def skip_intermediate_writes() -> None:
    """Replace the projection's write in this process: an open case's states after its first are not written."""
    from workflows.projection import CaseProjector

    write = CaseProjector.write

    async def first_and_final_only(projector: CaseProjector, state: CaseState) -> None:
        if state.seq > 1 and state.status in OPEN:
            return
        await write(projector, state)

    CaseProjector.write = first_and_final_only  # type: ignore[method-assign, assignment]


def run_skipping_worker() -> None:
    skip_intermediate_writes()
    from cli.main import main

    sys.argv = [sys.argv[0], "worker"]
    main()


def row(mode: str, figures: dict[str, Any]) -> str:
    level = figures["levels"][0]
    product, bare = level["product"], level["bare"]
    cpu = product["cpu_ms_per_bundle"]
    bare_cpu = bare["cpu_ms_per_bundle"]
    per = product["per_bundle"]
    product_total = sum(cpu[name] for name in ("temporal", "worker", "api", "departments"))
    bare_total = bare_cpu["temporal"] + bare_cpu["bare_worker"]
    # The Temporal server's CPU for a bare DAG that takes the product's updates: its floor for the product's flow.
    updates_server = level["bare_updates"]["cpu_ms_per_bundle"]["temporal"]
    return (
        f"| {mode} | {bare['bundles_per_s']:.2f} | {product['bundles_per_s']:.2f} | {level['product_over_bare']:.2f} "
        f"| {cpu['temporal']:.0f} / {cpu['worker']:.0f} / {cpu['api']:.0f} / {cpu['departments']:.0f} "
        f"| {product_total:.0f} | {bare_total:.0f} | {updates_server:.0f} | {per['local_activities']:.1f} "
        f"| {per['workflow_tasks']:.1f} | {per['history_events']:.1f} | {product['failed']} |"
    )


async def compare(bundles: int, in_flight: int, pairs: int, latency_ms: int) -> None:
    from benchmarks.bench import Profile, measure

    profile = Profile(
        "projection-bound", {in_flight: bundles}, warmup=3, read_rates=(), read_seconds=0, history_sample=10, alone=0
    )
    skipping = [sys.executable, "-m", "benchmarks.projection_bound", "--worker"]
    order = [AS_IS, SKIP, SKIP, AS_IS] * (pairs // 2) + ([AS_IS, SKIP] if pairs % 2 else [])
    rows = []
    for number, mode in enumerate(order, 1):
        print(f"run {number}/{len(order)}: {mode}", file=sys.stderr, flush=True)
        figures = await measure(profile, latency_ms, sys.stderr, skipping if mode == SKIP else None)
        rows.append(row(mode, figures))
        print(rows[-1], file=sys.stderr, flush=True)
    print(f"\n{bundles} bundles per phase at {in_flight} in flight, departments at {latency_ms} ms, in run order:\n")
    print(
        "| product worker | bare bundles/s | product bundles/s | product ÷ bare "
        "| product CPU ms per bundle: temporal / worker / api / departments | product total | bare total "
        "| bare_updates temporal | local activities | workflow tasks | history events | failed |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for line in rows:
        print(line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--worker", action="store_true", help="run as the stack's skipping worker (internal)")
    parser.add_argument("--bundles", type=int, default=100, help="bundles per phase (default 100)")
    parser.add_argument("--in-flight", type=int, default=25, help="bundles in flight (default 25)")
    parser.add_argument("--pairs", type=int, default=2, help="runs of each worker, interleaved (default 2)")
    parser.add_argument("--latency-ms", type=int, default=50, help="each department's decision time (default 50)")
    args = parser.parse_args()
    if args.worker:
        run_skipping_worker()
        return
    logging.getLogger("temporalio").setLevel(logging.ERROR)
    asyncio.run(compare(args.bundles, args.in_flight, args.pairs, args.latency_ms))


if __name__ == "__main__":
    main()
