"""Counts read at scrape time for the API's /metrics: what is unfinished right now, by department.

Grouped counts over the unfinished rows only, so a scrape costs the same with a million finished cases.
"""

from __future__ import annotations

from sqlalchemy import case, func
from sqlmodel import Session, col, select

from persistence.rectifications import RectificationRecord
from persistence.tables import ItemRecord
from workflows.contracts import FINISHED_ITEM, OPEN_RECTIFICATION, ItemStatus, Light

UNFINISHED_ITEM = tuple(status.value for status in ItemStatus if status not in FINISHED_ITEM)


def running_item_lights(session: Session) -> list[tuple[str, str, int]]:
    """(department, light, items) for every unfinished item whose clock has started."""
    query = (
        select(ItemRecord.department, ItemRecord.light, func.count())
        .where(col(ItemRecord.status).in_(UNFINISHED_ITEM), col(ItemRecord.light).is_not(None))
        .group_by(col(ItemRecord.department), col(ItemRecord.light))
    )
    return [(department, light, items) for department, light, items in session.exec(query) if light is not None]


def open_rectification_counts(session: Session) -> list[tuple[str, int, int]]:
    """(department, open, overdue): waiting for the department's reply, and of those past the deadline."""
    overdue = case((col(RectificationRecord.light) == Light.RED.value, 1), else_=0)
    query = (
        select(RectificationRecord.department, func.count(), func.sum(overdue))
        .where(col(RectificationRecord.status).in_([status.value for status in OPEN_RECTIFICATION]))
        .group_by(col(RectificationRecord.department))
    )
    return [(department, opened, late or 0) for department, opened, late in session.exec(query)]
