"""One service item's life inside a case: submit, wait for the result, keep the clock, handle 补正.

Deterministic workflow code: time comes from `workflow.now()`, every side effect is an activity.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any, Protocol

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.calendar import CalendarActivities
    from activities.departments import DepartmentActivities
    from core import metrics
    from core.calendar import OutsideCalendarError, YearsCalendar
    from one_things.schema import IntegrationMode, Item
    from workflows import policies
    from workflows.contracts import (
        Deadline,
        DeadlineRequest,
        DepartmentReply,
        EscalationNotice,
        Holder,
        ItemState,
        ItemStatus,
        Light,
        MaterialRef,
        ShiftRequest,
        Submission,
        SubmissionRef,
        Supplement,
    )
    from workflows.deadlines import deadline_for, shifted_deadline
    from workflows.patches import Patches
    from workflows.sla_clock import SlaClock

DEADLINE_BESIDE_SUBMISSION = "deadline-beside-submission"
"""Patch: histories recorded before it computed the deadline first and submitted after."""
ITEM_FAILURE_HALTS_CASE = "item-failure-halts-case"
"""Patch: before it, an item whose code raised ended silently and its case waited for it forever."""
DEADLINE_INSIDE_WORKFLOW = "deadline-inside-workflow"
"""Patch: histories recorded before it asked the calendar activity for every deadline and every shift."""


class CaseContext(Protocol):
    """What an item needs from the case it belongs to."""

    case_no: str
    thing_code: str
    yellow_before_days: int
    calendar: YearsCalendar | None
    """The working days fixed at acceptance; None for a case accepted before cases carried them."""
    patches: Patches
    sla_clock: SlaClock | None
    """The case's one timer for every item's light; None for a case recorded before it (each item keeps its own)."""

    def changed(self) -> None: ...

    def resolve_inputs(self, item: Item) -> dict[str, Any]: ...

    def materials_for(self, item: Item) -> list[MaterialRef]: ...

    def apply_supplement(self, supplement: Supplement) -> None: ...


class ItemRun:
    def __init__(self, case: CaseContext, item: Item, state: ItemState) -> None:
        self.case = case
        self.item = item
        self.state = state
        self._expected_key: str | None = None
        self._reply: DepartmentReply | None = None
        self._results_pulled: bool | None = None
        """A batch item's: whether its submission's reply said its results are pulled (None while in flight)."""
        self._supplement: Supplement | None = None
        self._clock_version = 0
        """Bumped whenever the deadline moves, so the SLA watcher re-arms its timer."""
        self._task: asyncio.Task[None] | None = None
        self._awaiting_staff_handover: list[asyncio.Future[None]] = []
        self._escalations: set[asyncio.Task[None]] = set()
        """Overdue notices sent beside the item's work, kept referenced until they end."""
        self.failure: str | None = None
        """Set when the item's own code raised: the case then halts visibly (see `_run_guarded`)."""

    # --- messages routed in by the case -----------------------------------------------------------

    @property
    def idempotency_key(self) -> str:
        base = f"{self.case.case_no}:{self.item.code}"
        return base if self.state.round == 0 else f"{base}:r{self.state.round}"

    def expects(self, idempotency_key: str) -> bool:
        """Whether a department's result for this key would be taken now (the submission outstanding, no reply yet)."""
        return self.state.status is ItemStatus.RUNNING and idempotency_key == self._expected_key and self._reply is None

    def results_pulled(self) -> bool | None:
        """For a batch item: whether its department's results are pulled, not posted to the callback; None
        while the submission is in flight (not known yet)."""
        return self._results_pulled

    def deliver(self, reply: DepartmentReply) -> bool:
        """A result for the submission now outstanding; stale or repeated deliveries are ignored."""
        if reply.idempotency_key != self._expected_key or self._reply is not None:
            return False
        self._reply = reply
        return True

    async def staff_handover(self) -> None:
        """Returns once the item has left the staff's hands (decided, or back with the citizen).

        Woken directly by the state change, not by `workflow.wait_condition`: a condition wakes in the order
        conditions were registered, and on replay the SDK may fold a workflow task that produced no commands
        (a projection write finishing) into the next one, registering the projection writer's condition
        before or after this one. Woken directly, the decision's update completes before any condition
        check of its activation, live and on replay alike (temporalio/sdk-python#1591 is this family).
        """
        if self.state.holder is Holder.STAFF:
            handed_over = asyncio.get_running_loop().create_future()
            self._awaiting_staff_handover.append(handed_over)
            await handed_over

    def accepts_supplement(self) -> bool:
        return self.state.status is ItemStatus.WAITING_CITIZEN and self._supplement is None

    def supplement(self, supplement: Supplement) -> None:
        self._supplement = supplement

    # --- started and stopped by the case ----------------------------------------------------------

    def start(self, ready: Callable[[], bool]) -> None:
        """The item starts the moment `ready` holds: everything it depends on is completed."""
        self._task = asyncio.create_task(self._run_guarded(ready))

    def stop(self, status: ItemStatus) -> bool:
        """Withdrawal or another item's final rejection ends this item where it stands.

        Returns whether its department has the submission and must be told (a standard-module item is
        with our own staff, a pending one was never sent)."""
        if self._task is not None:
            self._task.cancel()
        submitted = self.state.status is not ItemStatus.PENDING
        self._set(status=status, holder=None, finished_at=workflow.now())
        return submitted and self.item.mode is not IntegrationMode.STANDARD_MODULE

    async def tell_withdrawn(self) -> None:
        ref = SubmissionRef(department=self.item.department, idempotency_key=self.idempotency_key)
        try:
            await workflow.execute_activity_method(
                DepartmentActivities.withdraw_from_department,
                ref,
                **policies.NOTICE.options(),
            )
        except ActivityError:
            workflow.logger.warning("withdrawal notice for item %s could not be delivered", self.item.code)

    # --- the life of the item ---------------------------------------------------------------------

    async def _run_guarded(self, ready: Callable[[], bool]) -> None:
        """An error the item cannot handle (a bug, an activity failing for good) halts its case visibly.

        Before, the item's task ended with the exception unobserved: the item stayed "with the department"
        or "with staff" on every page, decisions were still accepted and never answered, and the case
        waited forever. Now the case fails its workflow task (`OneThingWorkflow.run` raises), which Temporal
        retries and shows as failing until the cause is fixed: the item resumes where it stopped."""
        try:
            await self._run_when(ready)
        except Exception as error:
            if not self.case.patches.applies(ITEM_FAILURE_HALTS_CASE):
                raise
            # The type only: an error's text may carry what a department sent (personal data).
            self.failure = type(error).__name__

    async def _run_when(self, ready: Callable[[], bool]) -> None:
        await workflow.wait_condition(ready)
        await self._run()

    async def _run(self) -> None:
        self._set(status=ItemStatus.RUNNING, started_at=workflow.now())
        if self.case.patches.applies(DEADLINE_INSIDE_WORKFLOW):
            deadline = self._counted_here(lambda days: deadline_for(self._deadline_request(), days))
            if deadline is not None:
                # Known at once, before the submission leaves: no activity, no workflow task, no round trip.
                self._apply_deadline(deadline)
                sla_watcher = self._watch_alone()
                try:
                    await self._handle_until_final()
                finally:
                    if sla_watcher is not None:
                        sla_watcher.cancel()
                return
        if not self.case.patches.applies(DEADLINE_BESIDE_SUBMISSION):
            self._apply_deadline(await self._compute_deadline())
            first_watcher = self._watch_alone()
            try:
                await self._handle_until_final()
            finally:
                if first_watcher is not None:
                    first_watcher.cancel()
            return
        # The department needs no deadline to start its work: the calendar is asked while the submission
        # travels, which takes a round trip off every item on the critical path (docs/benchmarks.md).
        handling = asyncio.create_task(self._handle_until_final())
        watcher: asyncio.Task[None] | None = None
        try:
            self._apply_deadline(await self._compute_deadline())
            watcher = self._watch_alone()
            await handling
        finally:
            handling.cancel()
            if watcher is not None:
                watcher.cancel()

    def _deadline_request(self) -> DeadlineRequest:
        assert self.state.started_at is not None, "set as the item starts, in the same activation"
        return DeadlineRequest(
            start=self.state.started_at,
            promised_days=self.item.promised_days,
            statutory_days=self.item.statutory_days,
            yellow_before_days=self.case.yellow_before_days,
        )

    def _counted_here(self, count: Callable[[YearsCalendar], Deadline]) -> Deadline | None:
        """`count` on the case's own calendar; None when the case has none or the count leaves its years
        (an item started, or resumed after 补正, two years on): the calendar activity counts it then."""
        if self.case.calendar is None:
            return None
        try:
            return count(self.case.calendar)
        except OutsideCalendarError:
            return None

    async def _compute_deadline(self) -> Deadline:
        return await workflow.execute_activity_method(
            CalendarActivities.compute_deadline, self._deadline_request(), **policies.CALENDAR.options()
        )

    async def _handle_until_final(self) -> None:
        while True:
            reply = await self._submit_and_wait()
            if reply.status == "completed":
                self._set(status=ItemStatus.COMPLETED, output=reply.output or {}, holder=None, reason=None)
                self._set(finished_at=workflow.now())
                self._count_finished()
                return
            if reply.status in ("rejected", "withdrawn"):
                status = ItemStatus.REJECTED if reply.status == "rejected" else ItemStatus.WITHDRAWN
                self._set(status=status, reason=reply.reason, holder=None, finished_at=workflow.now())
                self._count_finished()
                return
            await self._wait_for_citizen(reply.reason)

    async def _submit_and_wait(self) -> DepartmentReply:
        self._expected_key, self._reply, self._results_pulled = self.idempotency_key, None, None
        if self.item.mode is IntegrationMode.STANDARD_MODULE:
            # The department has no system: its staff decide in the platform's own handling module.
            self._set(holder=Holder.STAFF)
            await workflow.wait_condition(lambda: self._reply is not None)
            return self._take_reply()
        try:
            reply = await workflow.execute_activity_method(
                DepartmentActivities.submit_to_department,
                self._submission(),
                **policies.DEPARTMENT_CALL.options(),
            )
        except ActivityError as error:
            return self._refusal(error)
        self._set(receipt_no=reply.receipt_no, holder=Holder.DEPARTMENT)
        if reply.status != "accepted":
            return reply
        if self.item.mode is IntegrationMode.BATCH:
            # The reply says how its result comes (the registry's `batch_results`, read by the worker); a reply
            # recorded before it could say so has it False, and pulls as that run did.
            self._results_pulled = not reply.results_by_callback
            if self._results_pulled:
                return await self._pull_batch_result()
        # Async mode, or a batch whose department calls back: the signed callback is routed in by the case and
        # lands in self._reply.
        await workflow.wait_condition(lambda: self._reply is not None)
        return self._take_reply()

    async def _pull_batch_result(self) -> DepartmentReply:
        try:
            return await workflow.execute_activity_method(
                DepartmentActivities.await_batch_result,
                SubmissionRef(
                    department=self.item.department,
                    idempotency_key=self.idempotency_key,
                    item_code=self.item.code,
                    outputs=self.item.outputs,
                ),
                **policies.BATCH_POLL.options(),
            )
        except ActivityError as error:
            return self._refusal(error)

    def _refusal(self, error: ActivityError) -> DepartmentReply:
        """A department that refuses the request outright rejects the item; anything else is a real fault."""
        cause = error.cause
        if isinstance(cause, ApplicationError) and cause.type == policies.REFUSED:
            return DepartmentReply(
                receipt_no="", idempotency_key=self.idempotency_key, status="rejected", reason=cause.message
            )
        raise error

    def _take_reply(self) -> DepartmentReply:
        assert self._reply is not None
        reply, self._reply = self._reply, None
        return reply

    async def _wait_for_citizen(self, reason: str | None) -> None:
        """补正: the clock stops until the citizen supplies what was asked, then the item is resubmitted."""
        paused_at = workflow.now()
        self._set(status=ItemStatus.WAITING_CITIZEN, holder=Holder.CITIZEN, reason=reason, paused_at=paused_at)
        await workflow.wait_condition(lambda: self._supplement is not None)
        assert self._supplement is not None
        self.case.apply_supplement(self._supplement)
        self._supplement = None
        # Computed beside the first submission when the calendar activity counts it.
        await workflow.wait_condition(lambda: self.state.due_at is not None)
        deadline = await self._shift_deadline(paused_at)
        self._set(status=ItemStatus.RUNNING, reason=None, paused_at=None, round=self.state.round + 1)
        self._apply_deadline(deadline)

    async def _shift_deadline(self, paused_at: datetime) -> Deadline:
        assert self.state.due_at is not None
        assert self.state.statutory_due_at is not None
        request = ShiftRequest(
            due_at=self.state.due_at,
            statutory_due_at=self.state.statutory_due_at,
            paused_at=paused_at,
            resumed_at=workflow.now(),
            yellow_before_days=self.case.yellow_before_days,
        )
        # The patch's answer holds for the whole run: a case that began before it shifts by the activity too.
        if self.case.patches.applies(DEADLINE_INSIDE_WORKFLOW):
            shifted = self._counted_here(lambda days: shifted_deadline(request, days))
            if shifted is not None:
                return shifted
        return await workflow.execute_activity_method(
            CalendarActivities.shift_deadline, request, **policies.CALENDAR.options()
        )

    # --- the SLA clock ----------------------------------------------------------------------------

    def _apply_deadline(self, deadline: Deadline) -> None:
        self._clock_version += 1
        light = self._light_at(workflow.now(), deadline)
        self._set(
            due_at=deadline.due_at,
            statutory_due_at=deadline.statutory_due_at,
            yellow_at=deadline.yellow_at,
            light=light,
        )
        if self.case.sla_clock is not None:
            self.case.sla_clock.deadline_moved()

    def _light_at(self, now: datetime, deadline: Deadline) -> Light:
        if self.state.light is Light.RED and self.state.breached_at is not None:
            return Light.RED  # a recorded breach stays on the record even if the clock is later extended
        if now >= deadline.due_at:
            return Light.RED
        return Light.YELLOW if now >= deadline.yellow_at else Light.GREEN

    def next_turn(self) -> datetime | None:
        """When the light turns next, for the case's SLA clock; None while the clock stands for this item (not
        running, waiting for the citizen, already red, or no deadline yet)."""
        if self.state.status is not ItemStatus.RUNNING or self.state.light not in (Light.GREEN, Light.YELLOW):
            return None
        return self._turn_at()

    def turn_due_light(self) -> None:
        """The case's SLA clock fired: the light turns as far as its moments have come, as `_watch_sla` turns it;
        the overdue notice goes out beside the item's work."""
        while (turn_at := self.next_turn()) is not None and turn_at <= workflow.now():
            if self._take_turn(turn_at):
                escalation = asyncio.create_task(self._escalate_overdue())
                self._escalations.add(escalation)
                escalation.add_done_callback(self._escalations.discard)

    def _watch_alone(self) -> asyncio.Task[None] | None:
        """The item's own SLA watcher, for a case recorded before the case's clock (workflows/sla_clock.py)."""
        if self.case.sla_clock is not None:
            return None  # `_apply_deadline` tells the case's clock
        return asyncio.create_task(self._watch_sla())

    async def _watch_sla(self) -> None:
        """Turns the light yellow, then red; a breach is recorded and escalated, never a failure."""
        while self.state.light is not Light.RED:
            if self.state.paused_at is not None:
                await workflow.wait_condition(lambda: self.state.paused_at is None)
                continue
            turn_at = self._turn_at()
            version = self._clock_version
            try:
                await workflow.wait_condition(
                    functools.partial(self._clock_moved, version), timeout=max(turn_at - workflow.now(), timedelta(0))
                )
                continue
            except TimeoutError:
                pass
            if self._take_turn(turn_at):
                await self._escalate_overdue()

    def _turn_at(self) -> datetime:
        assert self.state.yellow_at is not None
        assert self.state.due_at is not None
        return self.state.due_at if self.state.light is Light.YELLOW else self.state.yellow_at

    def _take_turn(self, turn_at: datetime) -> bool:
        """Yellow, or red at the promised date with the breach recorded and counted; returns whether it breached."""
        if turn_at == self.state.due_at:
            self._set(light=Light.RED, breached_at=workflow.now())
            metrics.record_item_breached(workflow.metric_meter(), **self._labels())
            return True
        self._set(light=Light.YELLOW)
        return False

    async def _escalate_overdue(self) -> None:
        await self.escalate("overdue", f"{self.item.code} passed its promised date")

    def _clock_moved(self, version: int) -> bool:
        return self._clock_version != version or self.state.paused_at is not None

    async def escalate(self, level: str, note: str) -> None:
        """A notice to the department: `overdue` from the SLA clock, `supervisor` for a supervisor's 督办."""
        notice = EscalationNotice(
            department=self.item.department,
            case_no=self.case.case_no,
            item_code=self.item.code,
            level=level,
            note=note,
        )
        try:
            await workflow.execute_activity_method(
                DepartmentActivities.escalate_to_department,
                notice,
                **policies.NOTICE.options(),
            )
        except ActivityError:
            workflow.logger.warning("escalation notice for item %s could not be delivered", self.item.code)

    # --- helpers ----------------------------------------------------------------------------------

    def _labels(self) -> dict[str, str]:
        return {"thing": self.case.thing_code, "department": self.item.department, "item": self.item.code}

    def _count_finished(self) -> None:
        assert self.state.started_at is not None
        assert self.state.finished_at is not None
        metrics.record_item_finished(
            workflow.metric_meter(),
            outcome=self.state.status.value,
            duration=self.state.finished_at - self.state.started_at,
            **self._labels(),
        )

    def _submission(self) -> Submission:
        return Submission(
            department=self.item.department,
            idempotency_key=self.idempotency_key,
            case_no=self.case.case_no,
            item_code=self.item.code,
            mode=self.item.mode,
            payload=self.case.resolve_inputs(self.item),
            outputs=list(self.item.outputs),
            materials=self.case.materials_for(self.item),
        )

    def _set(self, **changes: Any) -> None:
        for name, value in changes.items():
            setattr(self.state, name, value)
        self.case.changed()
        if self.state.holder is not Holder.STAFF:
            waiting, self._awaiting_staff_handover = self._awaiting_staff_handover, []
            for handed_over in waiting:
                if not handed_over.done():
                    handed_over.set_result(None)


def item_payload(
    item: Item,
    form: Mapping[str, Any],
    outputs: Mapping[str, Mapping[str, str]],
    answers: Mapping[str, str | list[str]] | None = None,
) -> dict[str, Any]:
    """The submission body: each input read from the form (`form.x`), an earlier item (`items.a.x`) or a
    guidance answer (`answers.q`, format 2: an option value, or a list of them for a multi-select question)."""
    payload: dict[str, Any] = {}
    for name, source in item.inputs.items():
        kind, _, rest = source.partition(".")
        if kind == "form":
            payload[name] = form.get(rest)
        elif kind == "answers":
            payload[name] = (answers or {}).get(rest)
        else:
            producer, _, output = rest.partition(".")
            payload[name] = outputs.get(producer, {}).get(output)
    return payload
