"""The leaders' statistics page (`/stats`): before vs after per one-thing, weekly volumes, good reviews.

The same figures as /api/v1/stats/…, drawn as server-side SVG (api/charts.py) beside tables of the
numbers, for a large screen; the date range is a plain GET form, so the page works without scripts.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup

from api.charts import Series, grouped_bar_chart, line_chart, number, stacked_bar_chart
from api.deps import CatalogDep, SessionDep, SettingsDep
from api.pages.figures import link
from api.pages.officials import official_page
from api.pages.rendering import Page
from core.auth import Role
from core.bounds import FIRST_DAY, LAST_DAY
from core.calendar_year import calendar_for
from one_things.catalog import Catalog
from persistence.stats import FINISHED, Span
from services.statistics import (
    ReviewWeek,
    ThingsReport,
    VolumeWeek,
    review_weeks,
    things_report,
    volume_weeks,
)

router = APIRouter(include_in_schema=False)
LeaderPageDep = Annotated[Page, Depends(official_page(Role.LEADER, Role.SUPERVISOR))]
OUTCOME_COLORS = {"completed": "#1e7b34", "rejected": "#b42318", "withdrawn": "#5b6473"}


def fig(value: float | None) -> str:
    """A measured figure, or a dash where there is none (no completed case yet)."""
    return "–" if value is None else number(value)


def cut(percent: float | None) -> Markup:
    """The reduction against the baseline, e.g. "−95%"; nothing where there is none."""
    if percent is None:
        return Markup("")
    return Markup('<span class="cut">{}</span>').format(
        f"−{number(percent)}%" if percent >= 0 else f"+{number(-percent)}%"
    )


def _span(page: Page) -> tuple[Span, dict[str, str], list[str]]:
    """The range from the query string, what was typed (to show it again) and what is wrong with it; simulated
    cases only with `simulated=true`."""
    typed = {key: page.request.query_params.get(key, "").strip() for key in ("from", "to")}
    parsed: dict[str, date | None] = {}
    errors = []
    for key, value in typed.items():
        try:
            parsed[key] = date.fromisoformat(value) if value else None
            if not FIRST_DAY <= (parsed[key] or FIRST_DAY) <= LAST_DAY:
                raise ValueError(value)
        except ValueError:
            parsed[key] = None
            errors.append(page.t("st_bad_date", field=page.t(f"st_{key}"), first=FIRST_DAY, last=LAST_DAY))
    first, last = parsed["from"], parsed["to"]
    if first and last and first > last:
        errors.append(page.t("st_from_after_to"))
        first = last = None
    with_simulated = page.request.query_params.get("simulated", "").lower() in ("true", "1", "on")
    return Span(first, last, with_simulated), typed, errors


MEASURE_MARGINS, MEASURE_LABEL = 72, 12
"""The before/after charts' frame (axis and padding) and the height of a line of label text, in viewBox units."""


def _measure_charts(page: Page, report: ThingsReport) -> list[Markup]:
    names = [page.name(row.name) for row in report.things]
    before, after = page.t("before"), page.t("st_after")
    measures = [
        (
            "steps",
            page.t("st_steps"),
            [r.baseline.steps for r in report.things],
            [r.measured.steps for r in report.things],
        ),
        (
            "days",
            page.t("st_calendar_days"),
            [r.baseline.days for r in report.things],
            [r.measured.calendar_days.median for r in report.things],
        ),
        (
            "materials",
            page.t("st_materials"),
            [r.baseline.materials for r in report.things],
            [r.measured.materials_provided for r in report.things],
        ),
        (
            "trips",
            page.t("st_trips"),
            [r.baseline.trips for r in report.things],
            [r.measured.trips for r in report.things],
        ),
    ]
    return [
        grouped_bar_chart(
            chart_id=f"chart-{code}",
            title=title,
            categories=names,
            series=[Series(before, [float(v) for v in base], "#9aa4b2"), Series(after, measured, "#0b5cad")],
            # A pair of bars per one-thing, each pair at least two lines of text wide so every name can be
            # written under it: with the whole catalogue in one chart, a fixed small frame made them unreadable.
            width=max(360, MEASURE_MARGINS + 2 * MEASURE_LABEL * len(names)),
            height=260,
        )
        for code, title, base, measured in measures
    ]


def _volume_charts(page: Page, catalog: Catalog, weeks: list[VolumeWeek]) -> list[Markup]:
    labels = sorted({row.iso_week for row in weeks})
    by_week: dict[tuple[str, str], VolumeWeek] = {(row.iso_week, row.thing): row for row in weeks}
    accepted = [
        Series(page.name(thing.name), [float(by_week[(week, thing.code)].accepted) for week in labels])
        for thing in catalog.all()
    ]
    finished = [
        Series(
            page.t(f"s_{outcome}"),
            [float(sum(getattr(by_week[(week, t)], outcome) for t in catalog.codes())) for week in labels],
            OUTCOME_COLORS[outcome],
        )
        for outcome in FINISHED
    ]
    return [
        stacked_bar_chart(
            chart_id="chart-accepted", title=page.t("st_accepted_weekly"), categories=labels, series=accepted
        ),
        stacked_bar_chart(
            chart_id="chart-finished", title=page.t("st_finished_weekly"), categories=labels, series=finished
        ),
    ]


def _review_chart(page: Page, catalog: Catalog, weeks: list[ReviewWeek]) -> Markup:
    labels = sorted({row.iso_week for row in weeks})
    rates = {(row.iso_week, row.thing): row.rate for row in weeks}
    series = [Series(page.name(t.name), [rates.get((week, t.code)) for week in labels]) for t in catalog.all()]
    return line_chart(
        chart_id="chart-reviews",
        title=page.t("st_good_rate_weekly"),
        categories=labels,
        series=series,
        unit="%",
        y_max=100,
        width=1280,
        height=320,
    )


@router.get("/stats", response_class=HTMLResponse)
def stats_page(page: LeaderPageDep, session: SessionDep, catalog: CatalogDep, settings: SettingsDep) -> Response:
    span, typed, errors = _span(page)
    report = things_report(session, catalog=catalog, span=span, adjustments=calendar_for(settings))
    volumes = volume_weeks(session, catalog=catalog, span=span)
    reviews = review_weeks(session, catalog=catalog, span=span)
    dates = {key: str(value) for key, value in (("from", span.first), ("to", span.last)) if value}
    query = urlencode({**dates, **({"simulated": "true"} if span.with_simulated else {})})
    toggle = urlencode({**dates, **({} if span.with_simulated else {"simulated": "true"})})
    context: dict[str, Any] = {
        "report": report,
        "fig": fig,
        "cut": cut,
        "typed": typed,
        "errors": errors,
        "csv_url": "/api/v1/stats/things.csv" + (f"?{query}" if query else ""),
        "with_simulated": span.with_simulated,
        "toggle_url": "/stats" + (f"?{toggle}" if toggle else ""),
        "definition": link,
        "measure_charts": _measure_charts(page, report),
        "volume_charts": _volume_charts(page, catalog, volumes) if volumes else [],
        "review_chart": _review_chart(page, catalog, reviews) if reviews else None,
    }
    return page.render("stats.html", status_code=422 if errors else 200, **context)
