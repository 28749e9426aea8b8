"""The tables `onething bench` prints (Markdown, so docs/benchmarks.md can carry them as printed) and the
comparison of two of its JSON files."""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

from benchmarks.bench import KINDS, PROCESSES

HISTORY_FIELDS = ("activities", "local_activities", "workflow_tasks", "history_events")
QUANTS = ("p50", "p99", "max")
SQL_FIELDS = ("sql_transactions", "sql_select", "sql_insert", "sql_update", "sql_delete")


def _f(value: float, digits: int = 2) -> str:
    return "–" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.{digits}f}"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    return [
        "| " + " | ".join(header) + " |",
        "|" + "|".join("---" for _ in header) + "|",
        *("| " + " | ".join(row) + " |" for row in rows),
    ]


def report_lines(result: dict[str, Any]) -> Iterator[str]:
    meta = result["meta"]
    yield (
        f"onething bench ({meta['profile']}), {meta['when']}: departments at {meta['department_latency_ms']} ms "
        f"(critical path {meta['critical_path_s']:.3f} s); "
        f"{meta['clerk_item']}; bare activities {meta['bare_activities']}; "
        f"{meta['cpus']} CPUs, load average at the end {', '.join(f'{x:.1f}' for x in meta['load_average_at_end'])}"
    )
    if "bare_updates" in meta:
        yield f"bare_updates: {meta['bare_updates']}."
    yield ""
    levels = result["levels"]
    rows = []
    for level in levels:
        phases = [level.get(kind, _MISSING) for kind in KINDS]
        rows.append(
            [
                str(level["in_flight"]),
                f"{level['product']['bundles']}",
                *(_f(phase["bundles_per_s"]) for phase in phases),
                _f(level["product_over_bare"]),
                _f(level.get("product_over_bare_updates", math.nan)),
                *(" / ".join(_f(phase[q], 3) for q in ("p50_s", "p95_s", "p99_s")) for phase in phases),
                " / ".join(str(phase["failed"]) for phase in phases),
            ]
        )
    yield from _table(
        [
            "in flight",
            "bundles each",
            *(f"{kind} bundles/s" for kind in KINDS),
            "product ÷ bare",
            "product ÷ bare_updates",
            *(f"{kind} p50 / p95 / p99 s" for kind in KINDS),
            "failed " + " / ".join(KINDS),
        ],
        rows,
    )
    yield ""
    trips = [
        f"@{level['in_flight']} " + " / ".join(_f(level["bare_updates"]["update_round_trip_ms"][q], 0) for q in QUANTS)
        for level in levels
        if "update_round_trip_ms" in level.get("bare_updates", {})
    ]
    if trips:
        yield f"bare_updates' updates, sent to completed (as the bench saw it), p50 / p99 / max ms: {'; '.join(trips)}"
        yield ""
    yield from _alone_lines(result)
    yield (
        "CPU ms per bundle, by process (`bench` is the load generator and bare_updates' departments, not in the total):"
    )
    yield ""
    rows = []
    for level in levels:
        for kind in _kinds(level):
            cpu = level[kind]["cpu_ms_per_bundle"]
            total = sum(cpu[name] for name in PROCESSES)
            rows.append(
                [
                    f"{kind} @{level['in_flight']}",
                    *(_f(cpu[name], 0) for name in PROCESSES),
                    _f(total, 0),
                    _f(cpu["bench"], 0),
                ]
            )
    yield from _table(["phase", *PROCESSES, "total", "bench"], rows)
    yield ""
    yield "Per bundle (histories of a sample; SQL of the API and worker, bare phases showing the product's idle work):"
    yield ""
    rows = []
    for level in levels:
        for kind in _kinds(level):
            per = level[kind]["per_bundle"]
            rows.append(
                [
                    f"{kind} @{level['in_flight']}",
                    *(_f(per.get(name, math.nan), 1) for name in HISTORY_FIELDS + SQL_FIELDS),
                ]
            )
    yield from _table(["phase", *(name.replace("_", " ") for name in HISTORY_FIELDS + SQL_FIELDS)], rows)
    yield ""
    yield from _breakdown_lines(levels)
    yield ""
    yield "Status reads of finished cases (GET /api/v1/applications/{case_no}), open loop, nothing else in flight:"
    yield ""
    rows = [
        [
            _f(r["target_per_s"], 0),
            str(r["sent"]),
            str(r["missed"]),
            str(r["late"]),
            str(r["errors"]),
            _f(r["achieved_per_s"], 1),
            _f(r["p50_ms"], 1),
            _f(r["p99_ms"], 1),
            _f(r["cpu_ms_per_read"]["api"], 2),
            _f(r["cpu_ms_per_read"]["bench"], 2),
        ]
        for r in result["status_reads"]
    ]
    yield from _table(
        [
            "target req/s",
            "sent",
            "missed",
            "late",
            "errors",
            "achieved req/s",
            "p50 ms",
            "p99 ms",
            "API CPU ms/read",
            "reader CPU ms/read",
        ],
        rows,
    )


_MISSING: dict[str, Any] = {
    "bundles_per_s": math.nan,
    "p50_s": math.nan,
    "p95_s": math.nan,
    "p99_s": math.nan,
    "failed": "–",
}
"""The figures of a phase missing from a JSON written before that phase existed (bare_updates)."""


def _kinds(level: dict[str, Any]) -> list[str]:
    return [kind for kind in KINDS if kind in level]


def _alone_lines(result: dict[str, Any]) -> Iterator[str]:
    """The issue's "one bundle alone, when no item polls": latency over the critical path, one at a time."""
    alone = result.get("alone_no_polling")
    if alone is None:  # a JSON written before this phase existed
        return
    critical_ms = result["meta"]["critical_path_s"] * 1000
    per = alone["per_bundle"]
    yield (
        f"One bundle alone, no item polls ({result['meta'].get('no_poll_thing', 'batch item also switched')}), "
        f"{alone['bundles']} one at a time:"
    )
    yield ""
    yield from _table(
        [
            "bundles",
            "p50 / p95 / p99 s",
            "p50 over the critical path ms",
            "activities",
            "workflow tasks",
            "events",
            "failed",
        ],
        [
            [
                str(alone["bundles"]),
                " / ".join(_f(alone[q], 3) for q in ("p50_s", "p95_s", "p99_s")),
                _f(alone["p50_s"] * 1000 - critical_ms, 0),
                _f(per["activities"], 1),
                _f(per["workflow_tasks"], 1),
                _f(per["history_events"], 1),
                str(alone["failed"]),
            ]
        ],
    )
    yield ""


def _breakdown_lines(levels: list[dict[str, Any]]) -> Iterator[str]:
    """Each product phase's history by event type and activity name: where the events and activities go."""
    phases = [(level["in_flight"], level["product"].get("history_breakdown", {})) for level in levels]
    names = sorted({name for _, breakdown in phases for name in breakdown})
    if not names:
        return
    yield "Product history per bundle, by event type and by activity (`activity:` rows are the scheduled ones):"
    yield ""
    rows = [[name, *(_f(breakdown.get(name, 0.0), 1) for _, breakdown in phases)] for name in names]
    yield from _table(["event or activity", *(f"product @{in_flight}" for in_flight, _ in phases)], rows)


def flatten(result: dict[str, Any]) -> dict[str, float]:
    """Every number of a run under a readable key: levels by their in-flight count, reads by their rate."""
    flat: dict[str, float] = {}

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, bool):
            return
        if isinstance(value, int | float):
            flat[prefix] = float(value)
        elif isinstance(value, dict):
            for key, inner in value.items():
                walk(f"{prefix}.{key}" if prefix else str(key), inner)

    for level in result["levels"]:
        walk(f"@{level['in_flight']}", {k: v for k, v in level.items() if k != "in_flight"})
    for reads in result["status_reads"]:
        walk(f"reads@{reads['target_per_s']:g}", {k: v for k, v in reads.items() if k != "target_per_s"})
    return flat


def compare_lines(a: dict[str, Any], b: dict[str, Any], names: tuple[str, str]) -> Iterator[str]:
    first, second = flatten(a), flatten(b)
    yield f"A = {names[0]} ({a['meta']['when']}, {a['meta']['profile']})"
    yield f"B = {names[1]} ({b['meta']['when']}, {b['meta']['profile']})"
    yield ""
    rows = []
    for key in sorted(first.keys() | second.keys(), key=_order):
        x, y = first.get(key, math.nan), second.get(key, math.nan)
        change = (y - x) / x * 100 if x and not math.isnan(x) and not math.isnan(y) else math.nan
        rows.append([key, _f(x, 3), _f(y, 3), _f(y - x, 3), "–" if math.isnan(change) else f"{change:+.0f} %"])
    yield from _table(["figure", "A", "B", "B − A", "change"], rows)


def _order(key: str) -> tuple[int, str]:
    head = key.split(".", 1)[0]
    digits = "".join(ch for ch in head if ch.isdigit())
    return (int(digits) if digits else 0, key) if not head.startswith("reads") else (10_000 + int(digits or 0), key)
