"""Deadlines in working days on the worker's calendar, for cases accepted before a case carried its own.

Cases accepted since carry their calendar in their input and their workflow counts the days itself
(workflows/deadlines.py, patch `deadline-inside-workflow`). These activities stay registered for the cases
accepted before (still running, or replayed from their histories), and for a count that reaches a year the
case's calendar does not carry.
"""

from __future__ import annotations

from temporalio import activity

from core import calendar
from workflows.contracts import Deadline, DeadlineRequest, ShiftRequest
from workflows.deadlines import deadline_for, shifted_deadline


class CalendarActivities:
    def __init__(self, adjustments: calendar.CalendarSource = calendar.fixed(calendar.NONE)) -> None:
        self._source = adjustments

    @activity.defn
    async def compute_deadline(self, request: DeadlineRequest) -> Deadline:
        return deadline_for(request, self._source())

    @activity.defn
    async def shift_deadline(self, request: ShiftRequest) -> Deadline:
        """The clock stopped while the case waited for the citizen (补正); grant the paused days again."""
        return shifted_deadline(request, self._source())
