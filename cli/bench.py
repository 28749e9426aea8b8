"""`onething bench`: the product side by side with bare Temporal on a stack of its own (docs/benchmarks.md)."""

from __future__ import annotations

import asyncio
import json
import logging
import sys
from pathlib import Path
from typing import Annotated, Any

import typer


def bench_command(
    quick: Annotated[bool, typer.Option("--quick", help="Small counts, for tests: seconds, not minutes")] = False,
    latency_ms: Annotated[int, typer.Option(min=0, max=10_000, help="How long each department takes to decide")] = 50,
    out: Annotated[Path | None, typer.Option(help="Also write the figures as JSON here (for --compare)")] = None,
    compare: Annotated[
        tuple[Path, Path] | None, typer.Option(help="Print the differences of two JSON files and run nothing")
    ] = None,
) -> None:
    """Measure bundles/s, latency, CPU, history and SQL per bundle, product against a bare Temporal DAG (with and
    without the product's updates)."""
    from benchmarks.bench import PROFILES, measure
    from benchmarks.bench_report import compare_lines, report_lines

    if compare is not None:
        a, b = (_read(path) for path in compare)
        for line in compare_lines(a, b, (str(compare[0]), str(compare[1]))):
            typer.echo(line)
        return
    logging.getLogger("temporalio").setLevel(logging.ERROR)
    profile = PROFILES["quick" if quick else "full"]
    result = asyncio.run(measure(profile, latency_ms, sys.stdout))
    typer.echo("")
    for line in report_lines(result):
        typer.echo(line)
    if out is not None:
        out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        typer.echo(f"\nfigures written to {out}")


def _read(path: Path) -> dict[str, Any]:
    try:
        loaded: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise typer.BadParameter(f"{path}: not a JSON file of onething bench ({error})") from None
    return loaded
