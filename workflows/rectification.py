"""RectificationWorkflow (整改): a department answers a citizen's bad rating (score 1–2) within 15 working days.

One workflow per rated department, id `rectification-<case number>-<department>`, so a repeated
rating request can never open two. The life of a rectification:

1. OPEN: the department has 15 working days (from the calendar activity, holidays included) to reply.
   When the deadline passes without a reply the light turns red and stays red: an overdue reply is a
   recorded breach that supervisors see, never silently forgotten, and the department can still reply.
2. REPLIED: the citizen confirms (CONFIRMED, closed) or contests. A citizen who does neither within
   CITIZEN_WINDOW is taken to accept the reply (CLOSED_NO_RESPONSE).
3. A contest sends it back to the same department as CONTESTED, for a second reply under the *remaining*
   deadline: the clock stopped while the citizen was considering the reply (like 补正) and resumes on
   the contest, so the department gets back exactly the working days it had left; a department that
   was already late stays red. The citizen's reason is shown to the department.
4. A second contest ends the department's turn: ESCALATED, for the supervisor (督办) to take over,
   rather than an endless reply/contest loop between citizen and department.
"""

from __future__ import annotations

import asyncio
import functools
from datetime import datetime, timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.calendar import CalendarActivities
    from activities.rectifications import RectificationActivities
    from workflows import policies
    from workflows.contracts import (
        FINISHED_RECTIFICATION,
        OPEN_RECTIFICATION,
        CitizenVerdict,
        Deadline,
        DeadlineRequest,
        Light,
        RectificationInput,
        RectificationReply,
        RectificationState,
        RectificationStatus,
        ShiftRequest,
    )
    from workflows.patches import Patches
    from workflows.projection import PROJECTION_AS_ACTIVITY

LAST_UPDATE_PROJECTED = "rectification-last-update-projected"
"""Patch: a rectification that finishes projects the update that finished it, even mid-write."""

REPLY_WORKING_DAYS = 15
CITIZEN_WINDOW = timedelta(days=15)
MAX_CONTESTS = 1


def rectification_id(case_no: str, department: str) -> str:
    return f"rectification-{case_no}-{department}"


@workflow.defn
class RectificationWorkflow:
    @workflow.init
    def __init__(self, request: RectificationInput) -> None:
        self._patches = Patches()
        self._state = RectificationState(
            id=rectification_id(request.case_no, request.department),
            case_no=request.case_no,
            thing=request.thing,
            department=request.department,
            owner=request.owner,
            score=request.score,
            comment=request.comment,
            started_at=request.rated_at,
        )
        self._deadline: Deadline | None = None
        self._paused_at = request.rated_at
        self._resume: tuple[datetime, datetime] | None = None
        """Set by a contest: the pause (reply → contest) the department's deadline is shifted by."""
        self._contests = 0
        self._updates = 0
        """Counts accepted updates: the run loop projects after each."""
        self._clock = 0
        """Bumped whenever the deadline moves, so the watcher re-arms its timer."""

    @workflow.run
    async def run(self, request: RectificationInput) -> RectificationState:
        self._deadline = await workflow.execute_activity_method(
            CalendarActivities.compute_deadline,
            DeadlineRequest(
                start=workflow.now(),
                promised_days=REPLY_WORKING_DAYS,
                statutory_days=REPLY_WORKING_DAYS,
                yellow_before_days=0,
            ),
            **policies.CALENDAR.options(),
        )
        self._state.due_at = self._deadline.due_at
        watcher = asyncio.create_task(self._watch_deadline())
        await self._project()
        projected = self._updates
        while True:
            if self._resume is not None:
                await self._resume_clock(*self._resume)
            if self._updates != projected:
                projected = self._updates
                await self._project()
            if self._state.status in FINISHED_RECTIFICATION:
                break
            if self._state.status is RectificationStatus.REPLIED:
                await self._await_citizen()
                continue
            await workflow.wait_condition(functools.partial(self._news_since, projected))
        if self._updates != projected and self._patches.applies(LAST_UPDATE_PROJECTED):
            # An update that landed while the previous write was in flight (the citizen's confirmation, say)
            # finished the rectification before the loop came back to project it.
            await self._project()
        watcher.cancel()
        return self._state

    async def _await_citizen(self) -> None:
        try:
            await workflow.wait_condition(
                lambda: self._state.status is not RectificationStatus.REPLIED or self._resume is not None,
                timeout=CITIZEN_WINDOW,
            )
        except TimeoutError:
            self._state.status = RectificationStatus.CLOSED_NO_RESPONSE
            self._state.closed_at = workflow.now()
            self._updates += 1

    async def _resume_clock(self, paused_at: datetime, resumed_at: datetime) -> None:
        """The department gets back the working days it had left when it replied."""
        assert self._deadline is not None
        self._deadline = await workflow.execute_activity_method(
            CalendarActivities.shift_deadline,
            ShiftRequest(
                due_at=self._deadline.due_at,
                statutory_due_at=self._deadline.statutory_due_at,
                paused_at=paused_at,
                resumed_at=resumed_at,
                yellow_before_days=0,
            ),
            **policies.CALENDAR.options(),
        )
        self._state.due_at = self._deadline.due_at
        self._resume = None  # only now: until the shifted deadline is known, the watcher must not judge the old one
        self._clock += 1
        self._updates += 1

    async def _watch_deadline(self) -> None:
        """Red once the department is late; the breach stays on the record whatever happens next."""
        while self._state.light is not Light.RED:
            if self._state.status not in OPEN_RECTIFICATION:
                await workflow.wait_condition(lambda: self._state.status in OPEN_RECTIFICATION)
                continue
            assert self._state.due_at is not None
            clock = self._clock
            try:
                await workflow.wait_condition(
                    functools.partial(self._clock_moved, clock),
                    timeout=max(self._state.due_at - workflow.now(), timedelta(0)),
                )
                continue
            except TimeoutError:
                pass
            if self._resume is not None:
                # A contest after the old deadline: the department's remaining days are being given back.
                await workflow.wait_condition(lambda: self._resume is None)
                continue
            self._state.light, self._state.overdue_at = Light.RED, workflow.now()
            await self._project()

    def _news_since(self, projected: int) -> bool:
        return self._updates != projected or self._resume is not None

    def _clock_moved(self, clock: int) -> bool:
        return self._clock != clock or self._state.status not in OPEN_RECTIFICATION

    async def _project(self) -> None:
        self._state.seq += 1
        self._state.history_length = workflow.info().get_current_history_length()  # as the case's (projection.py)
        state = self._state.model_copy(deep=True)
        # A regular activity, as the case's projection was between patches projection-as-activity and
        # projection-local (workflows/projection.py). A rectification is written a handful of times in its life,
        # so the local activity's saving per bundle (issue 15) is not worth another patch here.
        if self._patches.applies(PROJECTION_AS_ACTIVITY):
            await workflow.execute_activity_method(
                RectificationActivities.project_rectification, state, **policies.PROJECTION.options()
            )
        else:
            await workflow.execute_local_activity_method(
                RectificationActivities.project_rectification, state, **policies.PROJECTION.options()
            )

    # --- messages ---------------------------------------------------------------------------------

    @workflow.query
    def status(self) -> RectificationState:
        return self._state

    @workflow.update
    def reply(self, reply: RectificationReply) -> RectificationState:
        self._state.replies.append(reply.model_copy(update={"at": workflow.now()}))
        self._state.status = RectificationStatus.REPLIED
        self._paused_at = workflow.now()
        self._updates += 1
        return self._state

    @reply.validator
    def _check_reply(self, reply: RectificationReply) -> None:
        if self._state.status not in OPEN_RECTIFICATION:
            raise ValueError(f"this rectification is {self._state.status.value}; it is not waiting for a reply")
        if not reply.text.strip():
            raise ValueError("a reply needs a text the citizen can read")

    @workflow.update
    def confirm(self, verdict: CitizenVerdict) -> RectificationState:
        self._state.status = RectificationStatus.CONFIRMED
        self._state.citizen_note = verdict.note or None
        self._state.closed_at = workflow.now()
        self._updates += 1
        return self._state

    @confirm.validator
    def _check_confirm(self, verdict: CitizenVerdict) -> None:
        self._require_replied()

    @workflow.update
    def contest(self, verdict: CitizenVerdict) -> RectificationState:
        self._contests += 1
        self._state.contest_note = verdict.note
        if self._contests > MAX_CONTESTS:
            self._state.status = RectificationStatus.ESCALATED
            self._state.closed_at = workflow.now()
        else:
            self._state.status = RectificationStatus.CONTESTED
            self._resume = (self._paused_at, workflow.now())
        self._updates += 1
        return self._state

    @contest.validator
    def _check_contest(self, verdict: CitizenVerdict) -> None:
        self._require_replied()
        if not verdict.note.strip():
            raise ValueError("say what is still wrong, so the department can answer it")

    def _require_replied(self) -> None:
        if self._state.status is not RectificationStatus.REPLIED:
            raise ValueError(f"this rectification is {self._state.status.value}; there is no reply to answer")
