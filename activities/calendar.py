"""Deadlines in working days. An activity, so the holiday table in force when a case ran is in its history."""

from __future__ import annotations

from temporalio import activity

from core import calendar
from workflows.contracts import Deadline, DeadlineRequest, ShiftRequest


class CalendarActivities:
    def __init__(self, adjustments: calendar.CalendarSource = calendar.fixed(calendar.NONE)) -> None:
        self._source = adjustments

    @activity.defn
    async def compute_deadline(self, request: DeadlineRequest) -> Deadline:
        adjust = self._source()
        due_at = calendar.add_working_days(request.start, request.promised_days, adjust)
        return Deadline(
            due_at=due_at,
            statutory_due_at=calendar.add_working_days(request.start, request.statutory_days, adjust),
            yellow_at=calendar.yellow_at(due_at, request.yellow_before_days, adjust),
        )

    @activity.defn
    async def shift_deadline(self, request: ShiftRequest) -> Deadline:
        """The clock stopped while the case waited for the citizen (补正); grant the paused days again."""
        adjust = self._source()
        due_at = calendar.shift_for_pause(request.due_at, request.paused_at, request.resumed_at, adjust)
        return Deadline(
            due_at=due_at,
            statutory_due_at=calendar.shift_for_pause(
                request.statutory_due_at, request.paused_at, request.resumed_at, adjust
            ),
            yellow_at=calendar.yellow_at(due_at, request.yellow_before_days, adjust),
        )
