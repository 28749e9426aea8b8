"""The supervisors' dashboard queries over a large projection, timed.

    uv run python -m benchmarks.supervision_queries --cases 1000000      # SQLite file in a temp folder
    uv run python -m benchmarks.supervision_queries --url postgresql+psycopg://…  # any other database

The projection is filled with synthetic rows in bulk (this measures queries, not the workflows that
normally write them): `--cases` newborn-shaped cases accepted evenly over two years, five items each, 3%
still open with a realistic spread of green, yellow and red, some paused for a correction. Then each
query the board runs is timed (best of --repeat, after one warm-up) for today's lights and a 30-day
window. Figures and conclusions: docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert
from sqlalchemy.engine import Engine
from sqlmodel import Session

from core.calendar import TZ
from persistence.db import make_engine
from persistence.escalations import escalations_by_department
from persistence.migrate import upgrade
from persistence.outcomes import ItemOutcomeDay
from persistence.rectifications import rectification_figures
from persistence.supervision import at_risk_cases, attention_items, case_lights, item_lights, performance
from persistence.tables import CaseRecord, ItemRecord

ITEMS = (  # code, department, promised days, depends on
    ("birth_certificate", "health", 2, None),
    ("vaccination_certificate", "cdc", 3, None),
    ("hukou_registration", "public_security", 5, "birth_certificate"),
    ("social_security_card", "human_resources", 7, "hukou_registration"),
    ("medical_insurance", "medical_insurance", 5, "hukou_registration"),
)
DISTRICTS = (
    "黄浦区",
    "徐汇区",
    "长宁区",
    "静安区",
    "普陀区",
    "虹口区",
    "杨浦区",
    "闵行区",
    "宝山区",
    "嘉定区",
    "浦东新区",
)
SPAN = timedelta(days=730)
BATCH = 20_000


def _rows(cases: int, now: datetime, rng: random.Random) -> Iterator[tuple[dict[str, Any], list[dict[str, Any]]]]:
    for index in range(cases):
        accepted = now - SPAN + SPAN * (index / cases)
        open_case = now - accepted < timedelta(days=25) and rng.random() < 0.6
        case_no = f"{accepted:%Y%m%d}-{index:08d}"
        items, end = [], accepted
        for code, department, promised, _ in ITEMS:
            start = accepted + timedelta(days=rng.random() * 3)
            due = start + timedelta(days=promised * 1.4)
            took = timedelta(days=rng.lognormvariate(0.2, 0.6) * promised * 0.6)
            finished = None if open_case and rng.random() < 0.5 else start + took
            light = None
            if finished is None:
                light = "red" if now > due else ("yellow" if now > due - timedelta(days=1.4) else "green")
            end = max(end, finished or end)
            items.append(
                {
                    "case_no": case_no,
                    "code": code,
                    "department": department,
                    "mode": "sync_rest",
                    "status": "completed" if finished else ("waiting_citizen" if rng.random() < 0.05 else "running"),
                    "started_at": start,
                    "finished_at": finished,
                    "due_at": due,
                    "statutory_due_at": due + timedelta(days=7),
                    "yellow_at": due - timedelta(days=1.4),
                    "light": light or ("red" if finished and finished > due else "green"),
                    "promised_days": promised,
                    "clock_days": int(took.days * 5 / 7) if finished else -1,
                    "round": 0,
                    "seq": 9,
                }
            )
        finished_case = None if any(item["finished_at"] is None for item in items) else end
        case = {
            "case_no": case_no,
            "thing": "newborn",
            "version": 1,
            "owner": f"owner-{index % 50_000}",
            "district": DISTRICTS[index % len(DISTRICTS)],
            "status": "completed" if finished_case else "running",
            "accepted_at": accepted,
            "finished_at": finished_case,
            "promised_at": accepted + timedelta(days=20),
            "forecast_at": accepted + timedelta(days=18 + rng.random() * 6),
            "light": rng.choice(("green", "green", "green", "yellow", "red")),
            "seq": 9,
            "updated_at": end,
        }
        yield case, items


Row = dict[str, Any]


def _count_outcomes(outcomes: dict[tuple[Any, ...], list[int]], case: Row, items: list[Row]) -> None:
    """What the projection adds to the daily rollup as it writes each decided item."""
    for item in items:
        if item["finished_at"] is None:
            continue
        day = item["finished_at"].astimezone(TZ).date()
        key = (day, case["thing"], case["district"], item["department"], item["code"], item["clock_days"])
        counts = outcomes.setdefault(key, [0, 0, 0])
        counts[0] += 1
        counts[1] += item["finished_at"] <= item["due_at"]
        counts[2] += item["finished_at"] <= item["statutory_due_at"]


def fill(engine: Engine, cases: int, now: datetime) -> float:
    started = time.perf_counter()
    rng = random.Random(20261201)
    batch_cases: list[dict[str, Any]] = []
    batch_items: list[dict[str, Any]] = []
    outcomes: dict[tuple[Any, ...], list[int]] = {}
    with engine.begin() as connection:
        for case, items in _rows(cases, now, rng):
            batch_cases.append(case)
            batch_items.extend(items)
            _count_outcomes(outcomes, case, items)
            if len(batch_cases) >= BATCH:
                connection.execute(insert(CaseRecord), batch_cases)
                connection.execute(insert(ItemRecord), batch_items)
                batch_cases, batch_items = [], []
                print(f"  filled {case['case_no'][9:].lstrip('0') or 0} cases", flush=True)
        if batch_cases:
            connection.execute(insert(CaseRecord), batch_cases)
            connection.execute(insert(ItemRecord), batch_items)
        columns = ("day", "thing", "district", "department", "item", "clock_days")
        rollup = [
            {**dict(zip(columns, key, strict=True)), "finished": c[0], "on_time": c[1], "on_time_statutory": c[2]}
            for key, c in outcomes.items()
        ]
        connection.execute(insert(ItemOutcomeDay), rollup)
        print(f"  {len(rollup):,} rows in the daily rollup of decided items")
    return time.perf_counter() - started


def timed(run: Callable[[], object], repeat: int) -> tuple[float, object]:
    run()  # warm-up: the first read pages the indexes in
    best, result = float("inf"), None
    for _ in range(repeat):
        started = time.perf_counter()
        result = run()
        best = min(best, time.perf_counter() - started)
    return best, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--url", help="a database URL; default a SQLite file in a temporary folder")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    if args.cases < 1:
        parser.error("--cases must be at least 1")
    with tempfile.TemporaryDirectory() as folder:
        url = args.url or f"sqlite:///{Path(folder) / 'projection.db'}"
        upgrade(url)  # made by the migrations, as `onething db upgrade` does
        engine = make_engine(url)
        now = datetime.now(UTC)
        print(f"filling {args.cases:,} cases ({args.cases * len(ITEMS):,} items) into {engine.dialect.name} …")
        print(f"filled in {fill(engine, args.cases, now):.1f} s")
        since, until = now - timedelta(days=30), now
        last = now.astimezone(TZ).date()
        first = last - timedelta(days=29)
        queries: dict[str, Callable[[Session], object]] = {
            "item lights by department": lambda s: item_lights(s, by="department", now=now),
            "item lights by item": lambda s: item_lights(s, by="item", now=now),
            "bundle lights by thing": lambda s: case_lights(s, by="thing", now=now),
            "bundle lights by district": lambda s: case_lights(s, by="district", now=now),
            "performance by department (30 days)": lambda s: performance(s, by="department", first=first, last=last),
            "performance by item (30 days)": lambda s: performance(s, by="item", first=first, last=last),
            "performance by thing (30 days)": lambda s: performance(s, by="thing", first=first, last=last),
            "performance by district (30 days)": lambda s: performance(s, by="district", first=first, last=last),
            "overdue list (top 50)": lambda s: attention_items(s, now=now, lights=("red",), limit=50),
            "due-soon list (top 50)": lambda s: attention_items(s, now=now, lights=("yellow",), limit=50),
            "red drill-down of one department": lambda s: attention_items(s, now=now, department="cdc", limit=500),
            "at-risk bundles (top 50)": lambda s: at_risk_cases(s, now=now, limit=50),
            "escalations by department": lambda s: escalations_by_department(s, since=since, until=until),
            "rectification figures": lambda s: rectification_figures(s, since=since, until=until, now=now),
        }
        print(f"\n| query | best of {args.repeat} (ms) | rows |\n|---|---|---|")
        total = 0.0
        with Session(engine) as session:
            for name, query in queries.items():
                seconds, result = timed(lambda q=query: q(session), args.repeat)  # type: ignore[misc]
                total += seconds
                rows = len(result) if isinstance(result, list | dict) else "-"
                print(f"| {name} | {seconds * 1000:.1f} | {rows} |", flush=True)
        print(f"| **the whole board** | **{total * 1000:.1f}** | |")
        engine.dispose()


if __name__ == "__main__":
    main()
