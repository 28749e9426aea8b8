"""The supervisors' figures: lights of running work, on-time rates and handling days of finished work.

Everything is aggregated in the database with portable SQL (SQLite and PostgreSQL alike). Lights are
judged at query time from the stored deadlines as well as the stored light, so an item whose promised
date has just passed shows red even before its workflow has written the breach, and so does its bundle.
Cases `onething simulate` made are left out unless a caller asks for them (`with_simulated`). On-time rates,
medians and p90s come from the daily rollup of decided items (persistence/outcomes.py): a histogram of whole
working days, which stays small however many items there are (simulated items in rows of their own).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any, Literal

from sqlalchemy import ColumnElement, and_, case, func, null, or_
from sqlalchemy import select as select_rows
from sqlmodel import Session, col, select

from core.calendar import day_on_time
from persistence.outcomes import ItemOutcomeDay
from persistence.tables import CaseRecord, ItemRecord

Dimension = Literal["department", "item", "thing", "district"]
DIMENSIONS: tuple[Dimension, ...] = ("department", "item", "thing", "district")
LightName = Literal["green", "yellow", "red"]
OPEN = ("running", "waiting_citizen")


@dataclass(frozen=True)
class LightCount:
    key: str
    running: int
    green: int
    yellow: int
    red: int
    thing: str | None = None
    """By item: the item's one-thing. An item is (thing, item): two one-things' items with one code are two rows."""


@dataclass(frozen=True)
class Performance:
    key: str
    finished: int
    on_time: int
    on_time_statutory: int
    on_time_rate: float | None
    statutory_rate: float | None
    median_days: int | None
    p90_days: int | None
    thing: str | None = None
    """By item: the item's one-thing, as in LightCount."""


@dataclass(frozen=True)
class AttentionItem:
    case_no: str
    thing: str
    district: str
    item_code: str
    department: str
    status: str
    holder: str | None
    light: str
    started_at: datetime | None
    due_at: datetime | None
    breached_at: datetime | None
    due_on: date | None = None
    """The last day on time (Asia/Shanghai), as people read the deadline; `due_at` is the instant ending it."""


@dataclass(frozen=True)
class AtRiskCase:
    case_no: str
    thing: str
    district: str
    accepted_at: datetime
    promised_at: datetime | None
    forecast_at: datetime | None
    light: str
    promised_on: date | None = None
    """The last day on time of the promise (Asia/Shanghai), as people read it."""
    forecast_on: date | None = None


def item_light(now: datetime) -> ColumnElement[Any]:
    """An open item's light now: the stored one, or what its deadlines say (a paused clock does not move)."""
    running_clock = col(ItemRecord.paused_at).is_(None)
    return case(
        (or_(col(ItemRecord.light) == "red", and_(running_clock, col(ItemRecord.due_at) <= now)), "red"),
        (or_(col(ItemRecord.light) == "yellow", and_(running_clock, col(ItemRecord.yellow_at) <= now)), "yellow"),
        else_="green",
    )


def _has_open_item(light: LightName, now: datetime) -> ColumnElement[bool]:
    """The case has an open item that is `light` now, judged from its deadlines (item_light)."""
    return (
        select_rows(col(ItemRecord.case_no))
        .where(
            col(ItemRecord.case_no) == col(CaseRecord.case_no),
            col(ItemRecord.status).in_(OPEN),
            item_light(now) == light,
        )
        .exists()
    )


def case_light(now: datetime) -> ColumnElement[Any]:
    """An open bundle's light now, judged when read, not when the case was last written: red once an open item
    is red now (its deadline passed overnight, with no write since) or the promise has passed; yellow once an
    open item is yellow now or the stored forecast misses the promise. The stored light is kept as a floor.

    The stored forecast can only be stale by a running item outliving its deadline (it assumed that item would
    finish by then), and such an item is red, which makes the bundle red whatever the forecast says."""
    return case(
        (
            or_(col(CaseRecord.light) == "red", col(CaseRecord.promised_at) <= now, _has_open_item("red", now)),
            "red",
        ),
        (
            or_(
                col(CaseRecord.light) == "yellow",
                col(CaseRecord.forecast_at) > col(CaseRecord.promised_at),
                _has_open_item("yellow", now),
            ),
            "yellow",
        ),
        else_="green",
    )


def light_now(session: Session, *, case_no: str, now: datetime) -> str | None:
    """One open bundle's light now (case_light); None for a finished one or an unknown case number."""
    query = select(case_light(now)).where(col(CaseRecord.case_no) == case_no, col(CaseRecord.status).in_(OPEN))
    light: str | None = session.exec(query).first()
    return light


def counted(with_simulated: bool) -> list[ColumnElement[bool]]:
    """Conditions on a case: those `onething simulate` made are left out of the board's figures unless asked."""
    return [] if with_simulated else [col(CaseRecord.simulated).is_(False)]


def _item_key(by: Dimension) -> Any:
    return {
        "department": col(ItemRecord.department),
        "item": col(ItemRecord.code),
        "thing": col(CaseRecord.thing),
        "district": col(CaseRecord.district),
    }[by]


def _joined(query: Any, by: Dimension, with_simulated: bool) -> Any:
    """Grouping items by item, thing or district (an item is identified with its thing), or leaving simulated
    cases out, reads their case."""
    if by != "department" or not with_simulated:
        query = query.join(CaseRecord, col(CaseRecord.case_no) == col(ItemRecord.case_no))
    return query.where(*counted(with_simulated))


def _counts(rows: Sequence[Any]) -> list[LightCount]:
    """Rows of (thing or None, key, light, count) as one LightCount per (thing, key)."""
    table: dict[tuple[str, str], dict[str, int]] = {}
    for thing, key, light, count in rows:
        table.setdefault((thing or "", key or ""), {})[light] = count
    return [
        LightCount(key, sum(c.values()), c.get("green", 0), c.get("yellow", 0), c.get("red", 0), thing or None)
        for (thing, key), c in sorted(table.items())
    ]


def item_lights(session: Session, *, by: Dimension, now: datetime, with_simulated: bool = False) -> list[LightCount]:
    """Items being handled (started, not finished), counted by light, per department, (thing, item), thing or
    district."""
    light = item_light(now)
    key = _item_key(by)
    groups = (col(CaseRecord.thing), key) if by == "item" else (key,)
    thing = col(CaseRecord.thing) if by == "item" else null()
    query = select(thing, key, light, func.count()).where(col(ItemRecord.status).in_(OPEN))
    query = _joined(query, by, with_simulated).group_by(*groups, light)
    return _counts(session.exec(query).all())


def case_lights(
    session: Session, *, by: Literal["thing", "district"], now: datetime, with_simulated: bool = False
) -> list[LightCount]:
    """Bundles still open, by light now (case_light): the forecast of their remaining items included."""
    light = case_light(now)
    key = col(CaseRecord.thing) if by == "thing" else col(CaseRecord.district)
    query = (
        select(null(), key, light, func.count())
        .where(col(CaseRecord.status).in_(OPEN), *counted(with_simulated))
        .group_by(key, light)
    )
    return _counts(session.exec(query).all())


def performance(
    session: Session, *, by: Dimension, first: date, last: date, with_simulated: bool = False
) -> list[Performance]:
    """Items decided from day `first` to `last` (Shanghai, both included), from the daily rollup: on time
    against promised and statutory limits, clock days; simulated cases' items only `with_simulated`."""
    key = {
        "department": col(ItemOutcomeDay.department),
        "item": col(ItemOutcomeDay.item),
        "thing": col(ItemOutcomeDay.thing),
        "district": col(ItemOutcomeDay.district),
    }[by]
    days = col(ItemOutcomeDay.clock_days)
    # An item is identified with its one-thing: items of two one-things sharing a code are two rows.
    thing = col(ItemOutcomeDay.thing) if by == "item" else null()
    keys = (col(ItemOutcomeDay.thing), key) if by == "item" else (key,)
    query = (
        select_rows(
            thing,
            key,
            days,
            func.sum(ItemOutcomeDay.finished),
            func.sum(ItemOutcomeDay.on_time),
            func.sum(ItemOutcomeDay.on_time_statutory),
        )
        .where(col(ItemOutcomeDay.day) >= first, col(ItemOutcomeDay.day) <= last)
        .where(*([] if with_simulated else [col(ItemOutcomeDay.simulated).is_(False)]))
        .group_by(*keys, days)
    )
    groups: dict[tuple[str, str], list[tuple[int | None, int, int, int]]] = {}
    for of, group, clock, count, timely, lawful in session.execute(query).all():
        groups.setdefault((of or "", group or ""), []).append((None if clock < 0 else clock, count, timely, lawful))
    return [_performance(group, rows, of or None) for (of, group), rows in sorted(groups.items())]


def _performance(key: str, rows: list[tuple[int | None, int, int, int]], thing: str | None) -> Performance:
    histogram = sorted((days, count) for days, count, _, _ in rows if days is not None)
    finished = sum(count for _, count, _, _ in rows)
    on_time = sum(timely for _, _, timely, _ in rows)
    lawful = sum(lawful for _, _, _, lawful in rows)
    return Performance(
        key=key,
        finished=finished,
        on_time=on_time,
        on_time_statutory=lawful,
        on_time_rate=on_time / finished if finished else None,
        statutory_rate=lawful / finished if finished else None,
        median_days=percentile(histogram, 0.5),
        p90_days=percentile(histogram, 0.9),
        thing=thing,
    )


def percentile(histogram: Sequence[tuple[int, int]], share: float) -> int | None:
    """The nearest-rank percentile of a sorted (value, count) histogram: the smallest value with at
    least `share` of all observations at or below it."""
    total = sum(count for _, count in histogram)
    if total == 0:
        return None
    rank = max(1, math.ceil(round(share * total, 9)))  # rounded first: 0.9 * 10 must be rank 9, not 10
    seen = 0
    for value, count in histogram:
        seen += count
        if seen >= rank:
            return value
    return histogram[-1][0]


def attention_items(
    session: Session,
    *,
    now: datetime,
    lights: Sequence[LightName] = ("red",),
    department: str | None = None,
    item: str | None = None,
    thing: str | None = None,
    district: str | None = None,
    limit: int = 200,
    with_simulated: bool = False,
) -> list[AttentionItem]:
    """Open items in the given lights, the most overdue first: the drill-down behind a dashboard cell."""
    light = item_light(now)
    query = (
        select_rows(
            col(ItemRecord.case_no),
            col(CaseRecord.thing),
            col(CaseRecord.district),
            col(ItemRecord.code),
            col(ItemRecord.department),
            col(ItemRecord.status),
            col(ItemRecord.holder),
            light,
            col(ItemRecord.started_at),
            col(ItemRecord.due_at),
            col(ItemRecord.breached_at),
        )
        .join(CaseRecord, col(CaseRecord.case_no) == col(ItemRecord.case_no))
        .where(col(ItemRecord.status).in_(OPEN), light.in_(list(lights)), *counted(with_simulated))
    )
    for column, value in (
        (ItemRecord.department, department),
        (ItemRecord.code, item),
        (CaseRecord.thing, thing),
        (CaseRecord.district, district),
    ):
        if value is not None:
            query = query.where(col(column) == value)
    query = query.order_by(col(ItemRecord.due_at), col(ItemRecord.case_no)).limit(limit)
    found = [AttentionItem(*row) for row in session.execute(query).all()]
    return [replace(item, due_on=day_on_time(item.due_at)) for item in found]


def at_risk_cases(
    session: Session,
    *,
    now: datetime,
    thing: str | None = None,
    district: str | None = None,
    limit: int = 200,
    with_simulated: bool = False,
) -> list[AtRiskCase]:
    """Open bundles whose forecast misses their promise, or that are late now (case_light: an item past its
    deadline counts when read, written or not), the earliest promise first."""
    light = case_light(now)
    query = select_rows(
        col(CaseRecord.case_no),
        col(CaseRecord.thing),
        col(CaseRecord.district),
        col(CaseRecord.accepted_at),
        col(CaseRecord.promised_at),
        col(CaseRecord.forecast_at),
        light,
    ).where(
        col(CaseRecord.status).in_(OPEN),
        or_(col(CaseRecord.forecast_at) > col(CaseRecord.promised_at), light == "red"),
        *counted(with_simulated),
    )
    if thing is not None:
        query = query.where(col(CaseRecord.thing) == thing)
    if district is not None:
        query = query.where(col(CaseRecord.district) == district)
    query = query.order_by(col(CaseRecord.promised_at), col(CaseRecord.case_no)).limit(limit)
    found = [AtRiskCase(*row) for row in session.execute(query).all()]
    return [
        replace(risk, promised_on=day_on_time(risk.promised_at), forecast_on=day_on_time(risk.forecast_at))
        for risk in found
    ]
