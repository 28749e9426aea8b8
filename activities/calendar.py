"""Deadlines in working days. An activity, so the holiday table in force when a case ran is in its history."""

from __future__ import annotations

from temporalio import activity

from core import calendar
from workflows.contracts import Deadline, DeadlineRequest, ShiftRequest


class CalendarActivities:
    @activity.defn
    async def compute_deadline(self, request: DeadlineRequest) -> Deadline:
        due_at = calendar.add_working_days(request.start, request.promised_days)
        return Deadline(
            due_at=due_at,
            statutory_due_at=calendar.add_working_days(request.start, request.statutory_days),
            yellow_at=calendar.yellow_at(due_at, request.yellow_before_days),
        )

    @activity.defn
    async def shift_deadline(self, request: ShiftRequest) -> Deadline:
        """The clock stopped while the case waited for the citizen (补正); grant the paused days again."""
        due_at = calendar.shift_for_pause(request.due_at, request.paused_at, request.resumed_at)
        return Deadline(
            due_at=due_at,
            statutory_due_at=calendar.shift_for_pause(request.statutory_due_at, request.paused_at, request.resumed_at),
            yellow_at=calendar.yellow_at(due_at, request.yellow_before_days),
        )
