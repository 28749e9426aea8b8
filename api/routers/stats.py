"""Leaders' statistics as JSON and CSV: what each one-thing saves, weekly volumes, good reviews.

Leaders and supervisors only. Every route takes `from` and `to` (Shanghai dates, both included, either
may be left out) and `simulated` (count simulated cases too); the figures' definitions are in
services/statistics.py and docs/figures.md.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from pydantic import BaseModel, Field

from api.deps import CatalogDep, SessionDep, SettingsDep, require
from api.openapi import problems
from api.params import DAYS
from api.stats_csv import things_csv
from core.auth import Principal, Role
from core.bounds import Day
from core.calendar_year import calendar_for
from persistence.stats import GOOD_SCORE, Span
from services.errors import InvalidError
from services.statistics import (
    ReviewWeek,
    ThingsReport,
    VolumeWeek,
    date_span,
    review_weeks,
    things_report,
    volume_weeks,
)

# Every route takes the span, and date_span refuses one that ends before it starts.
router = APIRouter(prefix="/stats", tags=["stats"], responses=problems(InvalidError))
OfficialDep = Annotated[Principal, Depends(require(Role.LEADER, Role.SUPERVISOR))]


def query_span(
    first: Annotated[
        Day | None, Query(alias="from", description=f"First acceptance date, e.g. 2027-01-01, {DAYS}")
    ] = None,
    last: Annotated[Day | None, Query(alias="to", description=f"Last date, included, {DAYS}")] = None,
    simulated: Annotated[
        bool, Query(description="Count the cases made by `onething simulate` too (left out by default)")
    ] = False,
) -> Span:
    return date_span(first, last, with_simulated=simulated)


SpanDep = Annotated[Span, Depends(query_span)]


class VolumesReport(BaseModel):
    from_: date | None = Field(serialization_alias="from")
    to: date | None
    weeks: list[VolumeWeek]


class ReviewsReport(BaseModel):
    from_: date | None = Field(serialization_alias="from")
    to: date | None
    good_at_least: int = Field(description="The lowest score counted as a good review")
    weeks: list[ReviewWeek]


@router.get("/things", response_model=ThingsReport)
def things(
    _official: OfficialDep, span: SpanDep, session: SessionDep, catalog: CatalogDep, settings: SettingsDep
) -> ThingsReport:
    """Every one-thing side by side: its baseline, the measured figures and the reduction in percent."""
    return things_report(session, catalog=catalog, span=span, adjustments=calendar_for(settings))


@router.get(
    "/things.csv", response_class=Response, responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}}}
)
def things_as_csv(
    _official: OfficialDep, span: SpanDep, session: SessionDep, catalog: CatalogDep, settings: SettingsDep
) -> Response:
    """The same table as CSV (UTF-8 with a byte-order mark, so spreadsheet programs read the Chinese names)."""
    report = things_report(session, catalog=catalog, span=span, adjustments=calendar_for(settings))
    name = f"onething-stats_{span.first or 'start'}_{span.last or 'latest'}"
    name += "_with-simulated" if span.with_simulated else ""
    return Response(
        "\ufeff" + things_csv(report),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
    )


@router.get("/volumes", response_model=VolumesReport)
def volumes(_official: OfficialDep, span: SpanDep, session: SessionDep, catalog: CatalogDep) -> VolumesReport:
    """Per ISO week and one-thing: cases accepted (by acceptance date) and finished by outcome (by finishing date)."""
    return VolumesReport(from_=span.first, to=span.last, weeks=volume_weeks(session, catalog=catalog, span=span))


@router.get("/reviews", response_model=ReviewsReport)
def reviews(_official: OfficialDep, span: SpanDep, session: SessionDep, catalog: CatalogDep) -> ReviewsReport:
    """Per ISO week and one-thing: overall ratings given, good ones (score >= 4) and the rate in percent."""
    weeks = review_weeks(session, catalog=catalog, span=span)
    return ReviewsReport(from_=span.first, to=span.last, good_at_least=GOOD_SCORE, weeks=weeks)
