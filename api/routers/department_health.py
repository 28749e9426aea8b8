"""Department system health for supervisors: is a department's back-end answering, apart from its staff's pace."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel

from api.deps import SessionDep, require
from api.problems import ProblemError
from core.auth import Principal, Role
from persistence.department_calls import OUTAGE_MIN_FAILURES, DepartmentHealth, department_health

router = APIRouter(prefix="/supervision", tags=["supervision"])

SupervisionDep = Annotated[Principal, Depends(require(Role.SUPERVISOR, Role.LEADER))]
DEFAULT_WINDOW = timedelta(hours=24)


class DepartmentHealthReport(BaseModel):
    since: datetime
    until: datetime
    outage_min_failures: int
    """How many unavailable answers in a row, with no answer between, count as an outage."""
    departments: list[DepartmentHealth]


@router.get("/departments/health")
def health(
    _principal: SupervisionDep, session: SessionDep, since: datetime | None = None, until: datetime | None = None
) -> DepartmentHealthReport:
    """Calls, error rate, p50/p90 latency, retries and outages per department back-end in [since, until).

    Both bounds are ISO 8601 with a zone (`2026-12-01T00:00:00Z`); by default the last 24 hours.
    """
    until = _aware(until, "until") or datetime.now(UTC)
    since = _aware(since, "since") or until - DEFAULT_WINDOW
    if since >= until:
        raise ProblemError(
            422,
            "Invalid time window",
            "'since' must be before 'until'.",
            errors=[{"field": "since", "message": "must be before until"}],
        )
    return DepartmentHealthReport(
        since=since,
        until=until,
        outage_min_failures=OUTAGE_MIN_FAILURES,
        departments=department_health(session, since=since, until=until),
    )


def _aware(value: datetime | None, field: str) -> datetime | None:
    if value is not None and value.tzinfo is None:
        raise ProblemError(
            422,
            "Invalid time window",
            f"'{field}' needs a time zone, e.g. 2026-12-01T00:00:00Z or 2026-12-01T08:00:00%2B08:00.",
            errors=[{"field": field, "message": "add a time zone (Z or +08:00)"}],
        )
    return value
