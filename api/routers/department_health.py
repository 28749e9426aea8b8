"""Department system health for supervisors: is a department's back-end answering, apart from its staff's pace."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel

from api.deps import ClockDep, SessionDep, require
from api.openapi import problems
from api.params import DAYS
from api.problems import ProblemError
from core.auth import Principal, Role
from core.bounds import FIRST_DAY, LAST_DAY
from core.calendar import TZ
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


@router.get("/departments/health", responses=problems(422))
def health(
    clock: ClockDep,
    _principal: SupervisionDep,
    session: SessionDep,
    since: Annotated[str | None, Query(max_length=40, description="A day or an ISO 8601 instant with a zone")] = None,
    until: Annotated[str | None, Query(max_length=40, description="A day (included) or an ISO 8601 instant")] = None,
) -> DepartmentHealthReport:
    """Calls, error rate, p50/p90 latency, retries and outages per department back-end in [since, until).

    Either bound is an instant in ISO 8601 with a zone (`2026-12-01T08:00:00Z`) or, like the rest of the
    supervision API, a day in Shanghai (`2026-12-01`; `until` includes its day). Default: the last 24 hours.
    """
    end = _instant(until, "until", day_end=True) or clock.now()
    start = _instant(since, "since", day_end=False) or end - DEFAULT_WINDOW
    if start >= end:
        raise _window_error("since", "must be before until")
    return DepartmentHealthReport(
        since=start,
        until=end,
        outage_min_failures=OUTAGE_MIN_FAILURES,
        departments=department_health(session, since=start, until=end, now=clock.now()),
    )


def _instant(value: str | None, field: str, *, day_end: bool) -> datetime | None:
    """Parsed here, not by a `date | datetime` union, which would read `…T00:00:00Z` as a bare day."""
    if value is None:
        return None
    try:
        if len(value) == len("YYYY-MM-DD"):
            day = date.fromisoformat(value)
            if not FIRST_DAY <= day <= LAST_DAY:
                raise _window_error(field, f"must be {DAYS}")
            return datetime.combine(day + timedelta(days=1) if day_end else day, time(), tzinfo=TZ)
        instant = datetime.fromisoformat(value)
    except ValueError:
        raise _window_error(field, "is not a day (YYYY-MM-DD) or an ISO 8601 instant") from None
    if instant.tzinfo is None:
        raise _window_error(field, "needs a time zone (Z or +08:00, written %2B08:00 in a URL)")
    if not FIRST_DAY <= instant.date() <= LAST_DAY:
        raise _window_error(field, f"must be {DAYS}")
    return instant


def _window_error(field: str, problem: str) -> ProblemError:
    return ProblemError(
        422,
        "Invalid time window",
        f"'{field}' {problem}; e.g. 2026-12-01 or 2026-12-01T08:00:00Z.",
        errors=[{"field": field, "message": problem}],
    )
