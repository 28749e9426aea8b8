"""The per-thing statistics as CSV, for spreadsheets: one row per one-thing, the same figures as the JSON.
Days before and after are both calendar days (docs/figures.md#days); `simulated_included` says whether cases
made by `onething simulate` are in the figures.

Presentation, so it stays in api: the figures are computed by `services/statistics.py`."""

from __future__ import annotations

import csv
import io

from services.statistics import ThingsReport

COLUMNS = (
    "thing",
    "name_zh",
    "name_en",
    "from",
    "to",
    "simulated_included",
    "accepted",
    "completed",
    "rejected",
    "withdrawn",
    "running",
    "steps_before",
    "steps_after",
    "steps_reduction_pct",
    "calendar_days_before",
    "calendar_days_median",
    "calendar_days_p90",
    "working_days_median",
    "working_days_p90",
    "calendar_days_reduction_pct",
    "materials_before",
    "materials_provided",
    "materials_exempt",
    "materials_reduction_pct",
    "trips_before",
    "trips_after",
    "trips_reduction_pct",
    "ratings",
    "good_ratings",
    "good_rate_pct",
    "sampled_cases",
)


def things_csv(report: ThingsReport) -> str:
    """Header plus a row per one-thing; an empty cell where there is no figure (no completed case)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for row in report.things:
        measured, base, cut = row.measured, row.baseline, row.reduction
        writer.writerow(
            _cell(value)
            for value in (
                row.thing,
                row.name.zh,
                row.name.en,
                report.from_,
                report.to,
                "yes" if report.with_simulated else "no",
                row.cases.accepted,
                row.cases.completed,
                row.cases.rejected,
                row.cases.withdrawn,
                row.cases.running,
                base.steps,
                measured.steps,
                cut.steps,
                base.days,
                measured.calendar_days.median,
                measured.calendar_days.p90,
                measured.working_days.median,
                measured.working_days.p90,
                cut.days,
                base.materials,
                measured.materials_provided,
                measured.materials_exempt,
                cut.materials,
                base.trips,
                measured.trips,
                cut.trips,
                row.reviews.ratings,
                row.reviews.good,
                row.reviews.rate,
                measured.sampled_cases,
            )
        )
    return out.getvalue()


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)
