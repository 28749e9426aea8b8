"""OneThingWorkflow: one generic workflow interprets any one-thing definition snapshot.

Items run as asyncio tasks inside the case's workflow, not as child workflows. Measured on the dev
server with the newborn bundle (`benchmarks/item_runner.py`, figures in docs/benchmarks.md): inline
2.9 bundles/s with 92 history events and 11 workflow tasks per bundle, against 1.3 bundles/s, 227
events and 34 tasks with a child per item; one bundle completes within 1.19x of its critical path
inline, 1.54x with children. A child adds its own history, start/complete events in the parent and
workflow tasks for every message, while the five items of a bundle stay far below any history limit.
A child per item would pay off only for bundles of hundreds of items or items that must outlive their case.
"""

from __future__ import annotations

import asyncio
from typing import Any, Literal

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError
from temporalio.workflow import ChildWorkflowHandle

with workflow.unsafe.imports_passed_through():
    from activities.departments import DepartmentActivities
    from activities.projection import ProjectionActivities
    from core import metrics
    from one_things.schema import IntegrationMode, Item
    from workflows import policies
    from workflows.contracts import (
        RESULT_IGNORED,
        RESULT_REFUSED,
        RESULT_TOO_EARLY,
        BundleInput,
        CaseState,
        CaseStatus,
        DepartmentCallback,
        DepartmentReply,
        DepartmentResult,
        Holder,
        ItemState,
        ItemStatus,
        StaffDecision,
        SubmissionRef,
        SupervisorEscalation,
        Supplement,
        Withdrawal,
    )
    from workflows.item import ItemRun, item_payload
    from workflows.item_workflow import ItemInput, ItemReport, ItemWorkflow
    from workflows.notices import Notices

STAFF_DECISION_STATUS: dict[str, Literal["completed", "rejected", "correction_requested"]] = {
    "approve": "completed",
    "reject": "rejected",
    "correction": "correction_requested",
}


@workflow.defn
class OneThingWorkflow:
    @workflow.init
    def __init__(self, bundle: BundleInput) -> None:
        self.case_no = bundle.case_no
        self.thing_code = bundle.thing.code
        self.yellow_before_days = bundle.thing.sla.yellow_before_days
        self._bundle = bundle
        self._form = dict(bundle.form)
        self._state = CaseState(
            case_no=bundle.case_no,
            thing=bundle.thing.code,
            version=bundle.thing.version,
            owner=bundle.owner,
            accepted_at=bundle.accepted_at,
            items=[
                ItemState(
                    code=item.code,
                    department=item.department,
                    mode=item.mode,
                    promised_days=item.promised_days,
                    depends_on=[code for code in item.depends_on if code in bundle.included],
                )
                for item in bundle.thing.items
                if item.code in bundle.included
            ],
        )
        self._runs = {state.code: ItemRun(self, bundle.thing.item(state.code), state) for state in self._state.items}
        self._withdrawal: Withdrawal | None = None
        self._outboxes: dict[str, list[DepartmentReply | Supplement]] = {code: [] for code in self._runs}
        """Child runner: messages for each item's child, forwarded in order."""
        self._dirty = True
        self._projecting = False
        self._notices = Notices(bundle)

    # --- the case ---------------------------------------------------------------------------------

    @workflow.run
    async def run(self, bundle: BundleInput) -> CaseState:
        self._notices.start()
        projector = asyncio.create_task(self._project_changes())
        tasks = {code: asyncio.create_task(self._run_when_ready(run)) for code, run in self._runs.items()}
        await workflow.wait_condition(lambda: self._all_finished() or self._stopping())
        if self._stopping():
            await self._stop_outstanding(tasks)
            if self._bundle.item_runner == "child":
                # Children close before their case does; the default parent-close policy would terminate them.
                await asyncio.gather(*tasks.values(), return_exceptions=True)
        self._finish()
        await workflow.wait_condition(
            lambda: not self._dirty and not self._projecting and workflow.all_handlers_finished()
        )
        projector.cancel()
        await self._notices.drain()
        return self._state

    async def _run_when_ready(self, run: ItemRun) -> None:
        """Items start the moment everything they depend on is completed."""
        await workflow.wait_condition(lambda: self._dependencies_done(run.item))
        if self._bundle.item_runner == "child":
            await self._run_child(run)
        else:
            await run.run()

    async def _run_child(self, run: ItemRun) -> None:
        """The same ItemRun in a child workflow; the case's copy of its state follows the child's reports."""
        item = run.item
        child = ItemInput(
            case_no=self.case_no,
            thing_code=self.thing_code,
            yellow_before_days=self.yellow_before_days,
            item=item,
            state=run.state,
            form={name: value for name, value in self._form.items() if f"form.{name}" in item.inputs.values()},
            outputs={code: other.state.output or {} for code, other in self._runs.items() if code in item.depends_on},
        )
        handle = await workflow.start_child_workflow(
            ItemWorkflow.run, child, id=f"{workflow.info().workflow_id}-{item.code}"
        )
        forwarder = asyncio.create_task(self._forward_to_child(self._outboxes[item.code], handle))
        try:
            final = await handle
        finally:
            forwarder.cancel()
        self.item_changed(final)

    async def _forward_to_child(
        self,
        outbox: list[DepartmentReply | Supplement],
        handle: ChildWorkflowHandle[ItemWorkflow, ItemReport],
    ) -> None:
        while True:
            await workflow.wait_condition(lambda: bool(outbox))
            message = outbox.pop(0)
            if isinstance(message, Supplement):
                await handle.signal(ItemWorkflow.supplement, message)
            else:
                await handle.signal(ItemWorkflow.deliver, message)

    def _deliver(self, run: ItemRun, reply: DepartmentReply) -> bool:
        if self._bundle.item_runner == "inline":
            return run.deliver(reply)
        self._outboxes[run.item.code].append(reply)
        return True  # the child judges whether it is stale

    def _supplement(self, run: ItemRun, supplement: Supplement) -> None:
        if self._bundle.item_runner == "inline":
            run.supplement(supplement)
        else:
            self._outboxes[run.item.code].append(supplement)

    def _dependencies_done(self, item: Item) -> bool:
        return all(self._runs[dep].state.status is ItemStatus.COMPLETED for dep in item.depends_on if dep in self._runs)

    def _all_finished(self) -> bool:
        return all(run.state.finished for run in self._runs.values())

    def _rejected(self) -> ItemState | None:
        return next((run.state for run in self._runs.values() if run.state.status is ItemStatus.REJECTED), None)

    def _stopping(self) -> bool:
        return self._withdrawal is not None or self._rejected() is not None

    async def _stop_outstanding(self, tasks: dict[str, asyncio.Task[None]]) -> None:
        """Withdrawal or a final rejection: stop every unfinished item and tell its department."""
        final = ItemStatus.WITHDRAWN if self._withdrawal is not None else ItemStatus.CANCELLED
        notices = []
        for code, run in self._runs.items():
            if run.state.finished:
                continue
            tasks[code].cancel()
            if run.state.status is not ItemStatus.PENDING and run.item.mode is not IntegrationMode.STANDARD_MODULE:
                notices.append(self._notify_withdrawal(run))
            run.state.status, run.state.holder = final, None
            run.state.finished_at = workflow.now()
        self.changed()
        await asyncio.gather(*notices)

    async def _notify_withdrawal(self, run: ItemRun) -> None:
        ref = SubmissionRef(department=run.item.department, idempotency_key=run.idempotency_key)
        try:
            await workflow.execute_activity_method(
                DepartmentActivities.withdraw_from_department,
                ref,
                **policies.NOTICE.options(),
            )
        except ActivityError:
            workflow.logger.warning("withdrawal notice for item %s could not be delivered", run.item.code)

    def _finish(self) -> None:
        rejected = self._rejected()
        if self._withdrawal is not None:
            self._state.status, self._state.reason = CaseStatus.WITHDRAWN, self._withdrawal.reason
        elif rejected is not None:
            self._state.status = CaseStatus.REJECTED
            self._state.reason = f"{rejected.code}: {rejected.reason or 'rejected by the department'}"
        else:
            self._state.status = CaseStatus.COMPLETED
        self._state.finished_at = workflow.now()
        self.changed()
        self._notices.case_finished(self._state)
        metrics.record_bundle_finished(
            workflow.metric_meter(),
            thing=self.thing_code,
            outcome=self._state.status.value,
            duration=self._state.finished_at - self._state.accepted_at,
        )

    # --- CaseContext for the items ----------------------------------------------------------------

    def changed(self) -> None:
        if self._state.finished_at is None:
            waiting = any(run.state.status is ItemStatus.WAITING_CITIZEN for run in self._runs.values())
            self._state.status = CaseStatus.WAITING_CITIZEN if waiting else CaseStatus.RUNNING
        self._dirty = True
        self._notices.observe(self._state.items)

    def resolve_inputs(self, item: Item) -> dict[str, Any]:
        outputs = {code: run.state.output or {} for code, run in self._runs.items()}
        return item_payload(item, self._form, outputs)

    def apply_supplement(self, supplement: Supplement) -> None:
        self._form.update(supplement.form)

    async def _project_changes(self) -> None:
        """Coalesces all changes of one workflow activation into one projection write."""
        while True:
            await workflow.wait_condition(lambda: self._dirty)
            self._dirty, self._projecting = False, True
            self._state.seq += 1
            self._state.as_of = workflow.now()
            try:
                await workflow.execute_local_activity_method(
                    ProjectionActivities.project_case_state,
                    self._state.model_copy(deep=True),
                    **policies.PROJECTION.options(),
                )
            finally:
                self._projecting = False

    # --- messages ---------------------------------------------------------------------------------

    @workflow.query
    def status(self) -> CaseState:
        return self._state

    @workflow.signal
    def item_changed(self, report: ItemReport) -> None:
        """Child runner: the child's news replaces the case's copy of the item's state."""
        run = self._runs.get(report.state.code)
        if run is None or run.state.finished:
            return  # a report overtaken by the child's result, or the case already stopped the item
        for name in ItemState.model_fields:
            setattr(run.state, name, getattr(report.state, name))
        self._form.update(report.form)
        self.changed()

    @workflow.signal
    def department_result(self, result: DepartmentResult) -> None:
        """Before departments' results became an update: kept so histories recorded then still replay."""
        run = self._runs.get(result.item_code)
        if run is None or run.state.finished:
            return
        if not self._deliver(run, self._reply_from(run, result)):
            workflow.logger.info("ignored a stale or repeated result for item %s", result.item_code)

    @workflow.update
    def receive_department_result(self, result: DepartmentCallback) -> ItemStatus:
        """A department's signed result, judged by the validator below: the sender learns at once whether
        it was taken, and a result that arrives the instant the case starts needs no projection to find it."""
        run = self._runs[result.item_code]
        self._deliver(run, self._reply_from(run, result))
        return run.state.status

    @receive_department_result.validator
    def _check_department_result(self, result: DepartmentCallback) -> None:
        run = self._runs.get(result.item_code)
        if run is None or run.item.department != result.department:
            raise ApplicationError(
                f"case {self.case_no} has no item {result.item_code} of {result.department}", type=RESULT_REFUSED
            )
        if run.item.mode is IntegrationMode.STANDARD_MODULE:
            raise ApplicationError(
                f"item {result.item_code} is decided by staff in the platform's handling module, not by callback",
                type=RESULT_REFUSED,
            )
        if run.state.finished or self._stopping():
            raise ApplicationError(f"item {result.item_code} is already {run.state.status.value}", type=RESULT_IGNORED)
        if run.state.status is ItemStatus.PENDING:
            raise ApplicationError(
                f"item {result.item_code} has not been submitted yet; it waits for the items it depends on",
                type=RESULT_TOO_EARLY,
            )
        if not run.expects(result.idempotency_key):
            raise ApplicationError(
                f"item {result.item_code} does not expect a result for {result.idempotency_key} now "
                "(a repeat, or an earlier round)",
                type=RESULT_IGNORED,
            )
        missing = [name for name in run.item.outputs if not (result.output or {}).get(name)]
        if result.status == "completed" and missing:
            raise ApplicationError(
                f"a completed {result.item_code} needs its declared outputs: {', '.join(missing)}", type=RESULT_REFUSED
            )

    def _reply_from(self, run: ItemRun, result: DepartmentResult) -> DepartmentReply:
        return DepartmentReply(
            receipt_no=result.receipt_no or run.state.receipt_no or "",
            idempotency_key=result.idempotency_key,
            status=result.status,
            output=result.output,
            reason=result.reason,
        )

    @workflow.update
    def staff_decision(self, decision: StaffDecision) -> ItemState:
        run = self._runs[decision.item_code]
        self._deliver(
            run,
            DepartmentReply(
                receipt_no=f"{self.case_no}:{decision.item_code}",
                idempotency_key=run.idempotency_key,
                status=STAFF_DECISION_STATUS[decision.decision],
                output=decision.output,
                reason=decision.reason,
            ),
        )
        return run.state

    @staff_decision.validator
    def _check_staff_decision(self, decision: StaffDecision) -> None:
        run = self._runs.get(decision.item_code)
        if run is None or run.state.holder is not Holder.STAFF or self._stopping():
            raise ValueError(f"item {decision.item_code} is not waiting for a staff decision")
        missing = [name for name in run.item.outputs if not decision.output.get(name)]
        if decision.decision == "approve" and missing:
            raise ValueError(f"approving {decision.item_code} needs output fields: {', '.join(missing)}")
        if decision.decision != "approve" and not decision.reason:
            raise ValueError("a rejection or correction request needs a reason the citizen can act on")

    @workflow.signal
    async def escalate(self, escalation: SupervisorEscalation) -> None:
        """督办 from a supervisor: the item's department is pushed; the case's course does not change."""
        run = self._runs.get(escalation.item_code)
        if run is None or run.state.finished or run.state.status is ItemStatus.PENDING:
            workflow.logger.info("督办 for item %s ignored: it is not being handled", escalation.item_code)
            return
        await run.escalate("supervisor", escalation.note)

    @workflow.update
    def supplement(self, supplement: Supplement) -> CaseState:
        self._supplement(self._runs[supplement.item_code], supplement)
        return self._state

    @supplement.validator
    def _check_supplement(self, supplement: Supplement) -> None:
        run = self._runs.get(supplement.item_code)
        if run is None or not run.accepts_supplement() or self._stopping():
            raise ValueError(f"item {supplement.item_code} is not waiting for a correction")

    @workflow.update
    def withdraw(self, withdrawal: Withdrawal) -> CaseState:
        self._withdrawal = withdrawal
        return self._state

    @withdraw.validator
    def _check_withdraw(self, withdrawal: Withdrawal) -> None:
        if self._state.finished_at is not None or self._all_finished() or self._stopping():
            raise ValueError(f"the case is already {self._state.status.value}; it can no longer be withdrawn")
