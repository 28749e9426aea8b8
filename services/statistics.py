"""What each one-thing saves: its before-reform baseline beside figures measured from its real cases.

The database counts (persistence/stats.py); this module turns the counts into the figures a leader reads,
with the definitions below, which the page and docs/statistics.md repeat:

- cases: accepted in the date range (Shanghai dates); the measured figures describe the completed ones.
- steps: what the citizen had to do for a case: 1 for the application (the one form, with its uploads,
  submitted once), plus 1 for each correction (补正) answered (every item's `round`). Results arrive as
  e-licences without a step; a rating is optional feedback and does not count. Mean per completed case.
- calendar days: completion date minus acceptance date (the Shanghai dates of the recorded instants); 0 when
  done the same day. The baseline's days are calendar days too, so before and after are in one unit.
- working days: the working days after the acceptance date up to and including the completion date, on the
  same Chinese calendar as the time limits; i.e. the smallest N with "done within N working days".
- materials provided: files the citizen really uploaded (form page, API or counter scan: one acceptance path
  stores them all), mean per completed case. Exempt: the definition's materials the government already holds
  (shared data, licence library) that the case's items need; shown apart, not counted as provided.
  Steps and materials are counted on the latest 10,000 completed cases of the range (all of them in
  smaller ranges); durations and counts always on every case.
- trips: visits in person, mean per completed case. Every step online counts 0; a case filed at a counter
  (一窗受理, channel `counter`) counts the one visit. Counter cases are bundles and measured with them.
- median and p90: linear interpolation between the closest ranks (numpy's default).
- reduction: (baseline − measured) / baseline in percent; days compare the median calendar days.
- simulated cases (`onething simulate`) are left out unless the span asks for them (`with_simulated`).
Each figure's definition for people: docs/figures.md (served at /figures, linked from the pages).
- good-review rate: overall ratings (department "") with a score of 4 or 5, among the overall ratings
  given in the date range, by the date they were given.
- weeks: ISO weeks (Monday to Sunday) in Shanghai; accepted by acceptance date, the outcomes by the date
  the case finished.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from itertools import accumulate

from pydantic import BaseModel, Field
from sqlmodel import Session

from core.calendar import NONE, Adjustments, is_working_day
from one_things.catalog import Catalog
from one_things.schema import Names, OneThing
from persistence import stats
from persistence.stats import Span
from services.errors import InvalidError

MEASURES = ("steps", "days", "materials", "trips")


class Percentiles(BaseModel):
    median: float | None
    p90: float | None


class Baseline(BaseModel):
    steps: int
    days: int
    materials: int
    trips: int
    source: str


class Measured(BaseModel):
    """Figures of the completed cases; None when there is none."""

    steps: float | None = Field(description="Citizen-facing steps per case (mean)")
    calendar_days: Percentiles
    working_days: Percentiles
    materials_provided: float | None = Field(description="Materials uploaded by the citizen per case (mean)")
    materials_exempt: float | None = Field(description="Materials the government held, per case (mean)")
    sampled_cases: int = Field(
        description="Completed cases the steps and materials are counted on: all, or the latest 10,000 of the range"
    )
    trips: float | None = Field(
        description="Visits in person per completed case (mean): 1 for a case filed at a counter, 0 online"
    )


class Reduction(BaseModel):
    """Percent less than the baseline; None without completed cases or with a baseline of 0."""

    steps: float | None
    days: float | None
    materials: float | None
    trips: float | None


class CaseCounts(BaseModel):
    accepted: int
    completed: int
    rejected: int
    withdrawn: int
    running: int
    """Still running or waiting for the citizen."""
    individual: int = 0
    """Items applied for one by one by applicants the bundle's eligibility rules ruled out: the old way,
    so not in any measured figure."""


class Reviews(BaseModel):
    ratings: int
    good: int
    rate: float | None = Field(description="Percent of overall ratings with a score of 4 or 5")


class ThingStats(BaseModel):
    thing: str
    name: Names
    baseline: Baseline
    cases: CaseCounts
    measured: Measured
    reduction: Reduction
    reviews: Reviews


class ThingsReport(BaseModel):
    from_: date | None = Field(serialization_alias="from")
    to: date | None
    with_simulated: bool = Field(
        default=False, description="Whether cases made by `onething simulate` are counted (left out by default)"
    )
    things: list[ThingStats]


class VolumeWeek(BaseModel):
    week: date
    """The Monday the ISO week starts on."""
    iso_week: str
    thing: str
    accepted: int
    completed: int
    rejected: int
    withdrawn: int


class ReviewWeek(BaseModel):
    week: date
    iso_week: str
    thing: str
    ratings: int
    good: int
    rate: float | None


def quantile(counts: Mapping[int, int], p: float) -> float | None:
    """The p-quantile of values given as value -> how often, interpolating between the closest ranks."""
    total = sum(counts.values())
    if total == 0:
        return None
    values = sorted(counts)
    position = (total - 1) * p
    low, high = _at_rank(values, counts, math.floor(position)), _at_rank(values, counts, math.ceil(position))
    return round(low + (high - low) * (position - math.floor(position)), 2)


def _at_rank(values: list[int], counts: Mapping[int, int], rank: int) -> int:
    seen = 0
    for value in values:
        seen += counts[value]
        if rank < seen:
            return value
    raise IndexError(rank)


def percentiles(counts: Mapping[int, int]) -> Percentiles:
    return Percentiles(median=quantile(counts, 0.5), p90=quantile(counts, 0.9))


def durations(
    pairs: Mapping[tuple[date, date], int], adjustments: Adjustments = NONE
) -> tuple[Counter[int], Counter[int]]:
    """(calendar days, working days) -> number of cases, from (acceptance date, completion date) -> cases."""
    calendar: Counter[int] = Counter()
    working: Counter[int] = Counter()
    if not pairs:
        return calendar, working
    first = min(accepted for accepted, _ in pairs)
    span = (max(done for _, done in pairs) - first).days
    # worked[i]: working days among the first i days after `first`; one calendar pass for all cases.
    days = (first + timedelta(days=offset) for offset in range(1, span + 1))
    worked = [0, *accumulate(int(is_working_day(day, adjustments)) for day in days)]
    for (accepted, done), count in pairs.items():
        calendar[(done - accepted).days] += count
        working[worked[(done - first).days] - worked[(accepted - first).days]] += count
    return calendar, working


def _percent_less(baseline: int, measured: float | None) -> float | None:
    if measured is None or baseline == 0:
        return None
    return round((baseline - measured) / baseline * 100, 1)


def _per_case(total: float, cases: int) -> float | None:
    return round(total / cases, 2) if cases else None


def _steps_per_case(sample: stats.CitizenSample) -> float | None:
    """The application, plus one step per correction answered."""
    total = sum(count * (1 + corrections) for (_, corrections), count in sample.journeys.items())
    return _per_case(total, sample.cases)


def _exempt_per_case(thing: OneThing, sample: stats.CitizenSample) -> float | None:
    """Exempt materials per case: those the case's included items need (a material for no item: every case)."""
    exempt = [material for material in thing.materials if material.exempt]
    total = sum(
        count * sum(1 for material in exempt if not material.items or included.intersection(material.items))
        for (included, _), count in sample.journeys.items()
    )
    return _per_case(total, sample.cases)


def thing_stats(
    thing: OneThing,
    *,
    outcomes: Counter[str],
    pairs: Mapping[tuple[date, date], int],
    sample: stats.CitizenSample,
    ratings: Iterable[stats.WeekRatings],
    adjustments: Adjustments = NONE,
    individual: int = 0,
    counter_completed: int = 0,
) -> ThingStats:
    completed = outcomes["completed"]
    calendar, working = durations(pairs, adjustments)
    measured = Measured(
        steps=_steps_per_case(sample),
        calendar_days=percentiles(calendar),
        working_days=percentiles(working),
        materials_provided=_per_case(sample.uploads, sample.cases),
        materials_exempt=_exempt_per_case(thing, sample),
        sampled_cases=sample.cases,
        trips=round(counter_completed / completed, 2) if completed else None,
    )
    base = thing.baseline
    reduction = Reduction(
        steps=_percent_less(base.steps, measured.steps),
        days=_percent_less(base.days, measured.calendar_days.median),
        materials=_percent_less(base.materials, measured.materials_provided),
        trips=_percent_less(base.trips, measured.trips),
    )
    rated = list(ratings)
    given, good = sum(r.ratings for r in rated), sum(r.good for r in rated)
    return ThingStats(
        thing=thing.code,
        name=thing.name,
        baseline=Baseline(**base.model_dump()),
        cases=CaseCounts(
            accepted=sum(outcomes.values()),
            completed=completed,
            rejected=outcomes["rejected"],
            withdrawn=outcomes["withdrawn"],
            running=outcomes["running"] + outcomes["waiting_citizen"],
            individual=individual,
        ),
        measured=measured,
        reduction=reduction,
        reviews=Reviews(ratings=given, good=good, rate=round(good / given * 100, 1) if given else None),
    )


def date_span(first: date | None, last: date | None, *, with_simulated: bool = False) -> Span:
    """Acceptance dates from `first` to `last`, both included; either may be open. Simulated cases only when
    `with_simulated`: a leader's figures describe what citizens lived."""
    if first is not None and last is not None and first > last:
        raise InvalidError(
            f"'from' ({first}) is after 'to' ({last}); swap them or leave one out.",
            [{"field": "from", "message": "must not be after 'to'"}],
            title="Invalid date range",
        )
    return Span(first, last, with_simulated)


def things_report(session: Session, *, catalog: Catalog, span: Span, adjustments: Adjustments = NONE) -> ThingsReport:
    """Every one-thing of the catalogue, side by side, for the cases accepted in `span`."""
    codes = catalog.codes()
    outcomes = stats.outcomes(session, things=codes, span=span)
    pairs = stats.completion_days(session, things=codes, span=span)
    ratings = stats.weekly_ratings(session, things=codes, span=span)
    individual = stats.individual_cases(session, things=codes, span=span)
    at_counter = stats.counter_completed(session, things=codes, span=span)
    things = [
        thing_stats(
            thing,
            outcomes=outcomes.get(thing.code, Counter()),
            pairs=pairs.get(thing.code, {}),
            sample=stats.citizen_sample(
                session, thing=thing.code, items=[item.code for item in thing.items], span=span
            ),
            ratings=[r for r in ratings if r.thing == thing.code],
            adjustments=adjustments,
            individual=individual.get(thing.code, 0),
            counter_completed=at_counter.get(thing.code, 0),
        )
        for thing in catalog.all()
    ]
    return ThingsReport(from_=span.first, to=span.last, with_simulated=span.with_simulated, things=things)


def iso_week(monday: date) -> str:
    year, week, _ = monday.isocalendar()
    return f"{year}-W{week:02d}"


def _weeks(found: Iterable[date]) -> list[date]:
    """Every week from the first to the last one found, so that quiet weeks show as zero, not as a gap."""
    weeks = sorted(set(found))
    if not weeks:
        return []
    return [weeks[0] + timedelta(weeks=n) for n in range((weeks[-1] - weeks[0]).days // 7 + 1)]


def volume_weeks(session: Session, *, catalog: Catalog, span: Span) -> list[VolumeWeek]:
    """Per week and one-thing: accepted, and finished by outcome; weeks without cases are zeros."""
    rows = stats.weekly_volumes(session, things=catalog.codes(), span=span)
    counts = {(row.week, row.thing, row.what): row.count for row in rows}
    return [
        VolumeWeek(
            week=week,
            iso_week=iso_week(week),
            thing=thing,
            **{what: counts.get((week, thing, what), 0) for what in ("accepted", *stats.FINISHED)},
        )
        for week in _weeks(row.week for row in rows)
        for thing in catalog.codes()
    ]


def review_weeks(session: Session, *, catalog: Catalog, span: Span) -> list[ReviewWeek]:
    """Per week and one-thing: overall ratings, good ones and the rate (None in a week without ratings)."""
    rows = {(r.week, r.thing): r for r in stats.weekly_ratings(session, things=catalog.codes(), span=span)}
    result = []
    for week in _weeks(week for week, _ in rows):
        for thing in catalog.codes():
            row = rows.get((week, thing))
            given, good = (row.ratings, row.good) if row else (0, 0)
            rate = round(good / given * 100, 1) if given else None
            result.append(
                ReviewWeek(week=week, iso_week=iso_week(week), thing=thing, ratings=given, good=good, rate=rate)
            )
    return result
