"""Which SQL a newborn bundle sends, by process, verb, table and calling code: the bench's stack, traced.

`onething bench` counts a bundle's SQL statements by verb; this says which ones. It starts the same stack as
the bench (benchmarks/bench.py: its own Temporal dev server, stubs, worker and API on free ports), with
ONETHING_SQL_TRACE set so that the API and the worker append a line per statement (persistence/sql_counts.py:
verb, table, the two innermost project functions on the stack, never a parameter), warms up, runs newborn
bundles at a fixed number in flight, waits for the worker's background work (message sender) to settle, and
prints the statements per bundle of the measured bundles only:

    uv run python -m benchmarks.sql_statements --bundles 20 --in-flight 5

Tracing walks the stack at every statement: the CPU figures of a traced run mean nothing, the counts do.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
from collections import Counter
from pathlib import Path

from benchmarks.bench import product_bench

Key = tuple[str, str, str, str, str]
"""(process, verb, table, one/many, calling code)."""


def read_trace(path: Path, start: int) -> Counter[Key]:
    counts: Counter[Key] = Counter()
    with path.open(encoding="utf-8") as trace:
        trace.seek(start)
        for line in trace:
            fields = line.rstrip("\n").split("\t")
            if len(fields) == 5:
                process, verb, name, many, where = fields
                counts[(process, verb, name, many, where)] += 1
    return counts


def table(counts: Counter[Key], bundles: int) -> str:
    lines = ["| per bundle | process | verb | table | executemany | from |", "|---|---|---|---|---|---|"]
    for (process, verb, name, many, where), count in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        lines.append(f"| {count / bundles:.2f} | {process} | {verb} | {name} | {many} | `{where}` |")
    return "\n".join(lines)


def totals(counts: Counter[Key], bundles: int) -> str:
    by: Counter[tuple[str, str]] = Counter()
    for (process, verb, *_), count in counts.items():
        by[(process, verb)] += count
    return "; ".join(f"{process} {verb} {count / bundles:.1f}" for (process, verb), count in sorted(by.items()))


async def measure(bundles: int, in_flight: int, warmup: int, settle_s: float) -> tuple[Counter[Key], str]:
    with tempfile.TemporaryDirectory(prefix="onething-sql-") as tmp:
        trace = Path(tmp) / "sql.trace"
        trace.touch()
        os.environ["ONETHING_SQL_TRACE"] = str(trace)  # the stack's processes inherit it
        async with product_bench("sql", bundles, in_flight, warmup) as bench:
            await asyncio.sleep(settle_s)  # the warm-up's messages sent before counting starts
            start = trace.stat().st_size
            await bench.product_phase(in_flight, bundles)
            await asyncio.sleep(settle_s)  # the measured bundles' messages sent
            counts = read_trace(trace, start)
    return counts, totals(counts, bundles)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bundles", type=int, default=20, help="newborn bundles measured (default 20)")
    parser.add_argument("--in-flight", type=int, default=5, help="bundles in flight (default 5)")
    parser.add_argument("--warmup", type=int, default=2, help="bundles before measuring (default 2)")
    parser.add_argument("--settle", type=float, default=3.0, help="seconds for background sends (default 3)")
    args = parser.parse_args()
    counts, summary = asyncio.run(measure(args.bundles, args.in_flight, args.warmup, args.settle))
    print(f"{args.bundles} newborn bundles at {args.in_flight} in flight; statements per bundle: {summary}\n")
    print(table(counts, args.bundles))


if __name__ == "__main__":
    main()
