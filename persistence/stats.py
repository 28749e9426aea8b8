"""Aggregates for the leaders' statistics, counted by the database. Keyword-only; callers own the session.

Every function takes a `span` (Shanghai dates) and answers with grouped counts, never with a row per
case: cases are grouped by thing, status and Shanghai day (`shanghai_day`, persistence/days.py), on
indexes built on exactly those expressions, so a million cases are counted from the index in its own
order and Python receives at most days-in-range x a few rows. Weeks are summed from days in Python.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, case, func
from sqlalchemy.sql.expression import ColumnElement
from sqlmodel import Session, col, select

from persistence.days import day_number, day_of, shanghai_day, week_of
from persistence.materials import MaterialUpload
from persistence.ratings import OVERALL, RatingRecord
from persistence.tables import CaseRecord, ItemRecord, simulated_cases
from workflows.contracts import CaseStatus

FINISHED = ("completed", "rejected", "withdrawn")
GOOD_SCORE = 4
"""A rating of 4 or 5 (out of 5) is a good review (好评)."""
SAMPLE = 10_000
"""What the citizens did (steps, uploads, items) is counted on at most this many completed cases, the latest
of the range: enough for means of small whole numbers to two decimals, and a bounded join of items and
uploads however many cases the range holds (durations and counts always cover every case)."""


@dataclass(frozen=True)
class Span:
    """The cases a figure is measured on: accepted (or finished) on Shanghai dates from `first` to `last`, both
    included (None leaves that end open); simulated ones (`onething simulate`) only `with_simulated`."""

    first: date | None = None
    last: date | None = None
    with_simulated: bool = False

    def counted(self) -> list[ColumnElement[bool]]:
        """Conditions on a case: simulated ones are left out unless asked for."""
        return [] if self.with_simulated else [col(CaseRecord.simulated).is_(False)]

    def holds(self, day: ColumnElement[int]) -> list[ColumnElement[bool]]:
        """Conditions on a `shanghai_day` expression: the day lies in the span."""
        conditions: list[ColumnElement[bool]] = []
        if self.first is not None:
            conditions.append(day >= day_number(self.first))
        if self.last is not None:
            conditions.append(day <= day_number(self.last))
        return conditions


BUNDLE = "bundle"
COUNTER = "counter"
"""A bundle filed for the citizen at a counter (一窗受理): measured with the bundles, one trip each."""
INDIVIDUAL = "individual"


def _accepted_day() -> ColumnElement[int]:
    return shanghai_day(CaseRecord.accepted_at)


def _finished_day() -> ColumnElement[int]:
    return shanghai_day(CaseRecord.finished_at)


def _of(things: Sequence[str], span: Span) -> ColumnElement[bool]:
    # Naming the things puts the leading column of the indexes in the query, so the database searches them
    # in their order instead of falling back to a one-column index and a sort. Only bundles: an item applied
    # for on its own by someone the bundle ruled out is the old way, counted apart (individual_cases).
    return and_(col(CaseRecord.thing).in_(things), col(CaseRecord.channel).in_((BUNDLE, COUNTER)), *span.counted())


def individual_cases(session: Session, *, things: Sequence[str], span: Span) -> dict[str, int]:
    """thing -> items applied for one by one (分别办理) in `span` by applicants its eligibility ruled out."""
    query = (
        select(CaseRecord.thing, func.count())
        .where(col(CaseRecord.thing).in_(things), col(CaseRecord.channel) == INDIVIDUAL, *span.counted())
        .where(*span.holds(_accepted_day()))
        .group_by(CaseRecord.thing)
    )
    return dict(session.exec(query).all())


def counter_completed(session: Session, *, things: Sequence[str], span: Span) -> dict[str, int]:
    """thing -> completed bundles accepted in `span` that were filed at a counter: a trip in person each."""
    query = (
        select(CaseRecord.thing, func.count())
        .where(_of(things, span), col(CaseRecord.channel) == COUNTER, CaseRecord.status == "completed")
        .where(*span.holds(_accepted_day()))
        .group_by(CaseRecord.thing)
    )
    return dict(session.exec(query).all())


def _any_status() -> ColumnElement[bool]:
    # Every status there is: no filter, but with the second column of the index named too, the database
    # seeks each (thing, status) range of days instead of skip-scanning all of them (20x faster here).
    return col(CaseRecord.status).in_([status.value for status in CaseStatus])


def outcomes(session: Session, *, things: Sequence[str], span: Span) -> dict[str, Counter[str]]:
    """thing -> case status -> number of cases accepted in `span` (the cohort the table describes)."""
    query = (
        select(CaseRecord.thing, CaseRecord.status, func.count())
        .where(_of(things, span), _any_status(), *span.holds(_accepted_day()))
        .group_by(CaseRecord.thing, CaseRecord.status)
    )
    result: dict[str, Counter[str]] = {}
    for thing, status, count in session.exec(query):
        result.setdefault(thing, Counter())[status] = count
    return result


def completion_days(session: Session, *, things: Sequence[str], span: Span) -> dict[str, Counter[tuple[date, date]]]:
    """thing -> (acceptance date, completion date) -> completed cases accepted in `span`.

    Durations in calendar and working days depend only on these two Shanghai dates.
    """
    accepted, finished = _accepted_day(), _finished_day()
    query = (
        select(CaseRecord.thing, accepted, finished, func.count())
        .where(_of(things, span), CaseRecord.status == "completed", finished.is_not(None), *span.holds(accepted))
        .group_by(CaseRecord.thing, accepted, finished)
    )
    result: dict[str, Counter[tuple[date, date]]] = {}
    for thing, first, last, count in session.exec(query):
        result.setdefault(thing, Counter())[(day_of(first), day_of(last))] = count
    return result


@dataclass(frozen=True)
class CitizenSample:
    cases: int
    """Completed cases measured: all of the range, or its latest SAMPLE."""
    uploads: int
    """Files the citizens uploaded for those cases."""
    journeys: Counter[tuple[frozenset[str], int]]
    """(the items a case included, the corrections its citizen answered) -> how many cases. Guidance
    answers leave items out, and with them the materials only those items need."""


def citizen_sample(
    session: Session, *, thing: str, items: Sequence[str], span: Span, limit: int = SAMPLE
) -> CitizenSample:
    """Uploads, included items and answered corrections of the latest `limit` completed cases of `thing`
    accepted in `span` (latest by acceptance day).

    `items` are the definition's item codes. In SQL each case's items become a bit mask and its items'
    `round` (resubmissions after a correction request, i.e. the citizen's answers) a sum, so the database
    returns one row per distinct (mask, corrections): a handful, not one per case.
    """
    if len(items) > 62:
        raise ValueError(f"{thing}: {len(items)} items do not fit a 63-bit mask; split the one-thing")
    accepted = _accepted_day()
    sample = (
        select(CaseRecord.case_no)
        .where(_of([thing], span), CaseRecord.status == "completed", *span.holds(accepted))
        .order_by(accepted.desc())
        .limit(limit)
        .subquery()
    )
    sampled = select(sample.c.case_no)
    cases = session.exec(select(func.count()).select_from(sample)).one()
    uploaded = session.exec(
        select(func.count()).select_from(MaterialUpload).where(col(MaterialUpload.case_no).in_(sampled))
    ).one()
    bits = case(*[(col(ItemRecord.code) == code, 1 << bit) for bit, code in enumerate(items)], else_=0)
    per_case = (
        select(func.sum(bits).label("mask"), func.sum(ItemRecord.round).label("corrections"))
        .where(col(ItemRecord.case_no).in_(sampled))
        .group_by(ItemRecord.case_no)
        .subquery()
    )
    grouped = select(per_case.c.mask, per_case.c.corrections, func.count()).group_by(
        per_case.c.mask, per_case.c.corrections
    )
    journeys: Counter[tuple[frozenset[str], int]] = Counter()
    for mask, corrections, count in session.exec(grouped):
        included = frozenset(code for bit, code in enumerate(items) if int(mask) >> bit & 1)
        journeys[(included, int(corrections))] = count
    return CitizenSample(cases=cases, uploads=uploaded, journeys=journeys)


@dataclass(frozen=True)
class WeekCount:
    thing: str
    week: date
    """The Monday the ISO week starts on."""
    what: str
    """accepted, completed, rejected or withdrawn."""
    count: int


def weekly_volumes(session: Session, *, things: Sequence[str], span: Span) -> list[WeekCount]:
    """Cases accepted per week (by acceptance date) and finished per week and outcome (by finishing date)."""
    accepted_day, finished_day = _accepted_day(), _finished_day()
    # Grouped by status too, in the index's order; the statuses of accepted cases are summed below.
    accepted = (
        select(CaseRecord.thing, CaseRecord.status, accepted_day, func.count())
        .where(_of(things, span), _any_status(), *span.holds(accepted_day))
        .group_by(CaseRecord.thing, CaseRecord.status, accepted_day)
    )
    finished = (
        select(CaseRecord.thing, CaseRecord.status, finished_day, func.count())
        .where(
            _of(things, span),
            col(CaseRecord.status).in_(FINISHED),
            finished_day.is_not(None),
            *span.holds(finished_day),
        )
        .group_by(CaseRecord.thing, CaseRecord.status, finished_day)
    )
    weeks: Counter[tuple[str, date, str]] = Counter()
    for thing, _, day, count in session.exec(accepted):
        weeks[(thing, week_of(day_of(day)), "accepted")] += count
    for thing, status, day, count in session.exec(finished):
        weeks[(thing, week_of(day_of(day)), status)] += count
    rows = [WeekCount(thing, week, what, count) for (thing, week, what), count in weeks.items()]
    return sorted(rows, key=lambda row: (row.week, row.thing, row.what))


@dataclass(frozen=True)
class WeekRatings:
    thing: str
    week: date
    ratings: int
    good: int
    """Ratings with a score of GOOD_SCORE or more."""


def _rated_cases_counted(span: Span) -> list[ColumnElement[bool]]:
    """Ratings of simulated cases are left out with their cases (few of those, so the list is short)."""
    if span.with_simulated:
        return []
    return [col(RatingRecord.case_no).not_in(simulated_cases())]


def weekly_ratings(session: Session, *, things: Sequence[str], span: Span) -> list[WeekRatings]:
    """Overall ratings (department "") given per week, and how many were good (score >= GOOD_SCORE)."""
    day = shanghai_day(RatingRecord.created_at)
    good = func.sum(case((col(RatingRecord.score) >= GOOD_SCORE, 1), else_=0))
    query = (
        select(RatingRecord.thing, day, func.count(), good)
        .where(RatingRecord.department == OVERALL, col(RatingRecord.thing).in_(things), *span.holds(day))
        .where(*_rated_cases_counted(span))
        .group_by(RatingRecord.thing, day)
    )
    given: Counter[tuple[str, date]] = Counter()
    liked: Counter[tuple[str, date]] = Counter()
    for thing, number, count, good_count in session.exec(query):
        key = (thing, week_of(day_of(number)))
        given[key] += count
        liked[key] += int(good_count)
    rows = [WeekRatings(thing, week, count, liked[(thing, week)]) for (thing, week), count in given.items()]
    return sorted(rows, key=lambda row: (row.week, row.thing))
