"""An item's deadline and its shift after 补正, counted in working days: pure, so a workflow counts them itself.

The workflow counts on the calendar its case was accepted with (`BundleInput.calendar`); the calendar activity
(activities/calendar.py) counts the same way on the worker's calendar, for cases accepted before.
"""

from __future__ import annotations

from core import calendar
from workflows.contracts import Deadline, DeadlineRequest, ShiftRequest


def deadline_for(request: DeadlineRequest, days: calendar.WorkingDays) -> Deadline:
    due_at = calendar.add_working_days(request.start, request.promised_days, days)
    return Deadline(
        due_at=due_at,
        statutory_due_at=calendar.add_working_days(request.start, request.statutory_days, days),
        yellow_at=calendar.yellow_at(due_at, request.yellow_before_days, days),
    )


def shifted_deadline(request: ShiftRequest, days: calendar.WorkingDays) -> Deadline:
    """The clock stopped while the case waited for the citizen (补正); the paused days are granted again."""
    due_at = calendar.shift_for_pause(request.due_at, request.paused_at, request.resumed_at, days)
    return Deadline(
        due_at=due_at,
        statutory_due_at=calendar.shift_for_pause(
            request.statutory_due_at, request.paused_at, request.resumed_at, days
        ),
        yellow_at=calendar.yellow_at(due_at, request.yellow_before_days, days),
    )
