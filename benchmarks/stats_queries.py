"""How fast the leaders' statistics answer with a million projected cases (SQLite, the embedded default).

    uv run python -m benchmarks.stats_queries                      # 1,000,000 cases in a temporary file
    uv run python -m benchmarks.stats_queries --cases 200000 --db /tmp/stats.db   # keep (and reuse) the file

The rows are synthetic and bulk-inserted: this measures queries, nothing else, and its file is never a
demo database (demo data comes from real workflow runs). Newborn cases spread over 700 days, 90 %
completed within 1–25 days, 5 % rejected, 2 % withdrawn, the rest running; five items each, 2 % of them
corrected once; one photo per case; half the completed cases rated. ANALYZE runs first. Each query and
each endpoint's report runs over all time and over one quarter (13 weeks); the best of three is printed.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

from one_things.catalog import load_catalog
from persistence import stats
from persistence.db import make_engine
from persistence.materials import MaterialUpload
from persistence.migrate import upgrade
from persistence.ratings import RatingRecord
from persistence.tables import CaseRecord, ItemRecord
from services import statistics

START = datetime(2025, 1, 1, tzinfo=UTC)
DAYS = 700
BATCH = 20_000


def _rows(count: int, items: list[str]) -> Iterator[tuple[list[dict[str, Any]], ...]]:
    rng = random.Random(1)
    cases: list[dict[str, Any]] = []
    item_rows: list[dict[str, Any]] = []
    uploads: list[dict[str, Any]] = []
    ratings: list[dict[str, Any]] = []
    for number in range(count):
        case_no = f"BENCH-{number:09d}"
        accepted = START + timedelta(seconds=rng.randrange(DAYS * 86400))
        draw = rng.random()
        status = "completed" if draw < 0.9 else "rejected" if draw < 0.95 else "withdrawn" if draw < 0.97 else "running"
        finished = accepted + timedelta(seconds=rng.randrange(86400, 25 * 86400)) if status != "running" else None
        cases.append(
            {"case_no": case_no, "thing": "newborn", "version": 1, "owner": f"bench-{number % 5000}",
             "status": status, "accepted_at": accepted, "finished_at": finished, "seq": 9, "updated_at": accepted}
        )  # fmt: skip
        for code in items:
            corrected = int(rng.random() < 0.02)
            item_rows.append(
                {"case_no": case_no, "code": code, "department": "bench", "mode": "sync_rest",
                 "status": "completed", "round": corrected, "seq": 9}
            )  # fmt: skip
        uploads.append(
            {"case_no": case_no, "material": "newborn_photo", "owner": "bench", "content_type": "image/png",
             "size": 8, "sha256": "0" * 64, "data": b"\x89PNG\r\n\x1a\n", "uploaded_at": accepted}
        )  # fmt: skip
        if finished is not None and status == "completed" and rng.random() < 0.5:
            ratings.append(
                {"case_no": case_no, "department": "", "thing": "newborn", "owner": "bench",
                 "score": rng.randint(1, 5), "comment": "", "created_at": finished}
            )  # fmt: skip
        if len(cases) == BATCH:
            yield cases, item_rows, uploads, ratings
            cases, item_rows, uploads, ratings = [], [], [], []
    yield cases, item_rows, uploads, ratings


def fill(engine: Engine, count: int) -> None:
    items = [item.code for item in load_catalog().get("newborn").items]
    tables = (CaseRecord, ItemRecord, MaterialUpload, RatingRecord)
    with engine.begin() as connection:
        for batch in _rows(count, items):
            for table, rows in zip(tables, batch, strict=True):
                if rows:
                    connection.execute(insert(table.__table__), rows)  # type: ignore[attr-defined]


def best_of_three(run: Callable[[], object]) -> float:
    timings = []
    for _ in range(3):
        started = time.perf_counter()
        run()
        timings.append(time.perf_counter() - started)
    return min(timings) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--db", type=Path, help="SQLite file to fill, or reuse if it holds the cases already")
    args = parser.parse_args()
    path = args.db or Path(tempfile.mkdtemp(prefix="onething-stats-")) / "projection.db"
    url = f"sqlite:///{path}"
    upgrade(url)  # made by the migrations, as `onething db upgrade` does
    engine = make_engine(url)
    with Session(engine) as session:
        present = session.exec(select(func.count()).select_from(CaseRecord)).one()
    if present != args.cases:
        if present:
            raise SystemExit(f"{path} holds {present} cases, not {args.cases}; pass another --db")
        started = time.perf_counter()
        fill(engine, args.cases)
        print(f"filled {args.cases:,} cases in {time.perf_counter() - started:.0f} s: {path}")
    with engine.begin() as connection:
        # Planner statistics for every index, also ones a newer release added to a reused file: with stale
        # statistics SQLite picked the supervision board's (status, thing, light) index here, 6x slower.
        connection.exec_driver_sql("ANALYZE")
    catalog = load_catalog()
    items = [item.code for item in catalog.get("newborn").items]
    things = catalog.codes()
    quarter = stats.Span(date(2026, 4, 1), date(2026, 6, 30))
    print(f"| query ({args.cases:,} cases) | all time, ms | one quarter, ms |")
    print("|---|---|---|")
    with Session(engine) as session:
        statistics.things_report(session, catalog=catalog, span=stats.Span())  # warm caches and calendar
        measured: dict[str, Callable[[stats.Span], object]] = {
            "outcomes": lambda span: stats.outcomes(session, things=things, span=span),
            "completion_days": lambda span: stats.completion_days(session, things=things, span=span),
            "citizen_sample": lambda span: stats.citizen_sample(session, thing="newborn", items=items, span=span),
            "weekly_volumes": lambda span: stats.weekly_volumes(session, things=things, span=span),
            "weekly_ratings": lambda span: stats.weekly_ratings(session, things=things, span=span),
            "GET /stats/things (report)": lambda span: statistics.things_report(session, catalog=catalog, span=span),
            "GET /stats/volumes (report)": lambda span: statistics.volume_weeks(session, catalog=catalog, span=span),
            "GET /stats/reviews (report)": lambda span: statistics.review_weeks(session, catalog=catalog, span=span),
        }
        for name, run in measured.items():
            everything = best_of_three(lambda run=run: run(stats.Span()))
            ranged = best_of_three(lambda run=run: run(quarter))
            print(f"| {name} | {everything:.0f} | {ranged:.0f} |")
    engine.dispose()


if __name__ == "__main__":
    main()
