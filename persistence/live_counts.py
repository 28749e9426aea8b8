"""Rectification counts read at scrape time for the API's /metrics: what waits for each department now.

Item lights come from `persistence.supervision.item_lights`, the dashboard's own count, so /metrics and
the dashboard agree; this adds the rectifications waiting for a reply, judged late as the dashboard
judges them (red, or past the deadline before the workflow's timer has turned it).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import case, func, or_
from sqlmodel import Session, col, select

from persistence.rectifications import OPEN_STATUSES, RectificationRecord


def open_rectification_counts(session: Session, *, now: datetime) -> list[tuple[str, int, int]]:
    """(department, open, overdue): waiting for the department's reply, and of those past the deadline."""
    late = or_(col(RectificationRecord.light) == "red", col(RectificationRecord.due_at) <= now)
    query = (
        select(RectificationRecord.department, func.count(), func.sum(case((late, 1), else_=0)))
        .where(col(RectificationRecord.status).in_(OPEN_STATUSES))
        .group_by(col(RectificationRecord.department))
    )
    return [(department, opened, overdue or 0) for department, opened, overdue in session.exec(query)]
