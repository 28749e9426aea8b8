"""Where a process's CPU goes: the bench's stack, newborn bundles at a fixed number in flight, py-spy on the worker
(or, with `--process api`, on the API).

`onething bench` says how much CPU each process spends per bundle; this says on what. It starts the same stack as
the bench (benchmarks/bench.py: its own Temporal dev server, stubs, worker and API on free ports, the clerk item
switched to sync REST, departments at 50 ms), warms up, then runs two phases of the same bundles:

1. unprofiled: the processes' CPU ms per bundle (psutil) and the SQL of the API and worker per bundle, the bench's
   own figures, so a change is measured without the profiler's overhead;
2. profiled: `py-spy record --gil` on the real worker (or API) process and its children (only the thread holding
   the GIL is sampled: where a Python process's CPU goes; threads waiting for it look idle), written as a
   speedscope file, a flame graph or collapsed stacks by the OUT's suffix (.json / .svg / .txt), and always as
   collapsed stacks beside it, from which the top functions are printed: own time (the function itself) and
   inclusive time (it and what it calls).

    uv run python -m benchmarks.worker_profile --bundles 40 --in-flight 10 --out worker.json
    uv run python -m benchmarks.worker_profile --process api --bundles 125 --in-flight 25 --out api.json
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import signal
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from benchmarks.bench import Phase, product_bench

PROJECT = f"{Path(__file__).resolve().parents[1]}/"
PLUMBING = ("(asyncio/", "(threading.py", "(concurrent/futures/", "(typer/", "(cli/main.py", "(<string>", "(worker.py")
PROFILED = ("worker", "api")
"""The stack's parts this can profile (their part names in the bench's stack)."""
FRAME = re.compile(r"^(?P<function>.*?) \((?P<file>[^()]*?)(?::\d+)?\)$")


@dataclass(frozen=True)
class Samples:
    """Collapsed py-spy stacks summed by function (`name (file)`, line numbers dropped)."""

    total: int
    own: Counter[str]
    inclusive: Counter[str]

    @classmethod
    def parse(cls, collapsed: str) -> Samples:
        own: Counter[str] = Counter()
        inclusive: Counter[str] = Counter()
        total = 0
        for line in collapsed.splitlines():
            stack, _, count_text = line.rpartition(" ")
            if not stack or not count_text.isdigit():
                continue
            count = int(count_text)
            frames = [_function(frame) for frame in stack.split(";")]
            frames = [frame for frame in frames if frame is not None]
            if not frames:
                continue
            total += count
            own[frames[-1]] += count
            for frame in set(frames):  # recursion counts once per sample
                inclusive[frame] += count
        return cls(total, own, inclusive)

    def by_package(self) -> Counter[str]:
        """Own time by package (temporalio by its subpackage: the sandbox, the bridge, the worker)."""
        packages: Counter[str] = Counter()
        for function, count in self.own.items():
            parts = function.rpartition("(")[2].rstrip(")").split("/")
            depth = min(3, len(parts) - 1) if parts[0] == "temporalio" else 1
            packages["/".join(parts[:depth])] += count
        return packages

    def table(self, counts: Counter[str], top: int, what: str = "function (file)") -> str:
        lines = [f"| % of samples | samples | {what} |", "|---|---|---|"]
        for name, count in counts.most_common(top):
            lines.append(f"| {100 * count / max(self.total, 1):.1f} | {count} | `{name}` |")
        return "\n".join(lines)


def _plumbing(function: str) -> bool:
    """Frames under which nearly everything runs (the process's entry, the event loop, the thread pool)."""
    return any(part in function for part in PLUMBING)


def _function(frame: str) -> str | None:
    """`name (path:line)` → `name (shortened path)`; py-spy's process and thread frames → None."""
    match = FRAME.match(frame.strip())
    if match is None:
        return None
    path = match["file"]
    for marker in ("site-packages/", "lib/python3"):  # library frames by package, not by install location
        if marker in path:
            path = path.split(marker, 1)[1]
            break
    else:
        path = path.removeprefix(PROJECT)
    return f"{match['function']} ({path})"


def _py_spy(pid: int, out: Path) -> subprocess.Popen[bytes]:
    py_spy = shutil.which("py-spy", path=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    if py_spy is None:
        raise SystemExit("py-spy not found: uv sync --group dev")
    form = {".json": "speedscope", ".svg": "flamegraph"}.get(out.suffix, "raw")
    # --subprocesses: the part may be a launcher whose child is the Python process (uvicorn's workers, for the API).
    argv = [py_spy, "record", "--gil", "--subprocesses", "--rate", "200", "-f", form, "-o", str(out)]
    return subprocess.Popen([*argv, "--pid", str(pid)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _stop(spy: subprocess.Popen[bytes]) -> None:
    spy.send_signal(signal.SIGINT)  # py-spy writes its file on Ctrl-C
    spy.wait(timeout=60)


async def measure(process: str, bundles: int, in_flight: int, warmup: int, out: Path) -> tuple[Phase, Samples]:
    async with product_bench(f"{process}-profile", bundles, in_flight, warmup) as bench:
        pid = bench.stack.pid(process)
        assert pid is not None
        plain = await bench.product_phase(in_flight, bundles)
        collapsed = out.with_suffix(".collapsed.txt") if out.suffix != ".txt" else out
        spies = [_py_spy(pid, collapsed)]
        if out != collapsed:
            spies.append(_py_spy(pid, out))
        await asyncio.sleep(1)  # py-spy attached before the first bundle
        try:
            await bench.product_phase(in_flight, bundles)
        finally:
            for spy in spies:
                _stop(spy)
    return plain, Samples.parse(collapsed.read_text(encoding="utf-8"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--process", choices=PROFILED, default="worker", help="the part profiled (default worker)")
    parser.add_argument("--bundles", type=int, default=40, help="newborn bundles per phase (default 40)")
    parser.add_argument("--in-flight", type=int, default=10, help="bundles in flight (default 10)")
    parser.add_argument("--warmup", type=int, default=3, help="bundles before measuring (default 3)")
    parser.add_argument("--top", type=int, default=20, help="functions per table (default 20)")
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help=".json speedscope, .svg flame graph, .txt raw; default PROCESS-profile.json",
    )
    args = parser.parse_args()
    out = args.out or Path(f"{args.process}-profile.json")
    plain, samples = asyncio.run(measure(args.process, args.bundles, args.in_flight, args.warmup, out))
    figures = plain.as_dict()
    per_bundle = figures["per_bundle"]
    print(
        f"unprofiled, {args.bundles} bundles at {args.in_flight} in flight: {figures['bundles_per_s']:.2f} bundles/s; "
        f"CPU ms per bundle: worker {figures['cpu_ms_per_bundle']['worker']:.0f}, "
        f"temporal {figures['cpu_ms_per_bundle']['temporal']:.0f}, api {figures['cpu_ms_per_bundle']['api']:.0f}; "
        "SQL per bundle (API + worker): "
        + ", ".join(f"{kind.removeprefix('sql_')} {count:.1f}" for kind, count in per_bundle.items() if "sql_" in kind)
    )
    print(f"\nprofiled: {samples.total} samples of the {args.process}'s GIL holders, {out}\n")
    print(f"Own time, top {args.top}:\n\n{samples.table(samples.own, args.top)}\n")
    print(f"Own time by package, top {args.top}:\n\n{samples.table(samples.by_package(), args.top, 'package')}\n")
    inclusive = Counter({name: count for name, count in samples.inclusive.items() if not _plumbing(name)})
    print(f"Inclusive time (the event loop's and threads' plumbing left out), top {args.top}:\n")
    print(samples.table(inclusive, args.top))


if __name__ == "__main__":
    main()
