"""OneThingWorkflow: one generic workflow interprets any one-thing definition snapshot.

Items run as asyncio tasks inside the case's workflow (`ItemRun`), not as child workflows. A child per
item was built, measured and deleted (docs/benchmarks.md §1): on the dev server with the newborn bundle
it cost 2.5x the history events, 3x the workflow tasks and half the throughput, and completed a bundle
within 1.54x of its critical path against 1.19x inline. It would pay off only for bundles of hundreds
of items or items that must outlive their case.
"""

from __future__ import annotations

import asyncio
import functools
from typing import Any, Literal

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from core import metrics
    from one_things.schema import IntegrationMode, Item
    from workflows.contracts import (
        RESULT_IGNORED,
        RESULT_TOO_EARLY,
        BundleInput,
        CaseState,
        CaseStatus,
        DepartmentCallback,
        DepartmentReply,
        DepartmentResult,
        Holder,
        ItemApplication,
        ItemState,
        ItemStatus,
        MaterialRef,
        StaffDecision,
        SupervisorEscalation,
        Supplement,
        Withdrawal,
    )
    from workflows.item import ItemRun, item_payload
    from workflows.notices import Notices
    from workflows.patches import Patches
    from workflows.projection import CaseProjector
    from workflows.result_rules import content_refusal, refused
    from workflows.sla_clock import SLA_CLOCK_PER_CASE, SlaClock

STAFF_DECISION_ANSWERS_TAKEN_STATE = "staff-decision-answers-taken-state"
STAFF_DECISION_WOKEN_DIRECTLY = "staff-decision-woken-directly"
"""Patch: the decision's update waits for the item's handover by a future, not a condition (ItemRun.staff_handover)."""
"""Patch: histories recorded before it answered a staff decision with the item's state before the item took it
(still running, still with staff), which the clerk's client then showed."""

CONDITIONAL_DEPENDENCIES = "conditional-dependencies"
"""Patch: items wait for their format 2 `depends_on_if_included` items too, when the case includes them."""

STAFF_DECISION_STATUS: dict[str, Literal["completed", "rejected", "correction_requested"]] = {
    "approve": "completed",
    "reject": "rejected",
    "correction": "correction_requested",
}


@workflow.defn
class OneThingWorkflow:
    @workflow.init
    def __init__(self, bundle: BundleInput) -> None:
        self.patches = Patches()
        self.case_no = bundle.case_no
        self.thing_code = bundle.thing.code
        self.yellow_before_days = bundle.thing.sla.yellow_before_days
        self.calendar = bundle.calendar.days() if bundle.calendar is not None else None
        self._form = dict(bundle.form)
        self._answers = dict(bundle.answers)
        self._materials = list(bundle.thing.materials)
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
                    depends_on=[code for code in item.waits_for if code in bundle.included],
                )
                for item in bundle.thing.items
                if item.code in bundle.included
            ],
        )
        self._runs = {state.code: ItemRun(self, bundle.thing.item(state.code), state) for state in self._state.items}
        self._withdrawal: Withdrawal | None = None
        self._conditional_dependencies = False
        self.sla_clock: SlaClock | None = None
        self._projection = CaseProjector(self._state, self.patches)
        self._notices = Notices(bundle, self.patches)

    # --- the case ---------------------------------------------------------------------------------

    @workflow.run
    async def run(self, bundle: BundleInput) -> CaseState:
        self._notices.start(self._state)
        self._projection.start()
        # Decided once, before any item starts: histories recorded before format 2 never waited for a
        # conditional dependency (their definitions had none), and replay must take the path they took.
        self._conditional_dependencies = self.patches.applies(CONDITIONAL_DEPENDENCIES)
        if self.patches.applies(SLA_CLOCK_PER_CASE):
            self.sla_clock = SlaClock(self._runs.values())
        for run in self._runs.values():
            run.start(ready=functools.partial(self._dependencies_done, run.item))
        await workflow.wait_condition(lambda: self._all_finished() or self._stopping() or self._failed() is not None)
        failed = self._failed()
        if failed is not None:
            # Not an ApplicationError: the workflow task fails and is retried, the case is not closed.
            raise RuntimeError(f"item {failed.item.code} stopped on {failed.failure}; the case waits for a fix")
        if self._stopping():
            await self._stop_outstanding()
        self._finish()
        # The case closes once its last state is projected and no message handler is still at work.
        await workflow.wait_condition(lambda: self._projection.settled() and workflow.all_handlers_finished())
        self._projection.close()
        await self._notices.drain()
        return self._state

    def _dependencies_done(self, item: Item) -> bool:
        """Whether every included item this one waits for is done. An excluded one is not waited for: the plan
        keeps an item only if its `depends_on` are included, while a `depends_on_if_included` may be left out."""
        waits_for = item.waits_for if self._conditional_dependencies else item.depends_on
        return all(self._runs[dep].state.status is ItemStatus.COMPLETED for dep in waits_for if dep in self._runs)

    def _failed(self) -> ItemRun | None:
        return next((run for run in self._runs.values() if run.failure is not None), None)

    def _all_finished(self) -> bool:
        return all(run.state.finished for run in self._runs.values())

    def _rejected(self) -> ItemState | None:
        return next((run.state for run in self._runs.values() if run.state.status is ItemStatus.REJECTED), None)

    def _stopping(self) -> bool:
        return self._withdrawal is not None or self._rejected() is not None

    async def _stop_outstanding(self) -> None:
        """Withdrawal or a final rejection: stop every unfinished item and tell its department."""
        final = ItemStatus.WITHDRAWN if self._withdrawal is not None else ItemStatus.CANCELLED
        notices = []
        for run in self._runs.values():
            if not run.state.finished and run.stop(final):
                notices.append(run.tell_withdrawn())
        await asyncio.gather(*notices)

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
        self._projection.mark_dirty()
        self._notices.observe(self._state.items)

    def materials_for(self, item: Item) -> list[MaterialRef]:
        return [
            MaterialRef(code=material.code, source=material.source.value)
            for material in self._materials
            if item.code in material.items
        ]

    def resolve_inputs(self, item: Item) -> dict[str, Any]:
        outputs = {code: run.state.output or {} for code, run in self._runs.items()}
        return item_payload(item, self._form, outputs, self._answers)

    def apply_supplement(self, supplement: Supplement) -> None:
        self._form.update(supplement.form)

    # --- messages ---------------------------------------------------------------------------------

    @workflow.query
    def status(self) -> CaseState:
        return self._state

    @workflow.query
    def item_application(self, item_code: str) -> ItemApplication:
        """The staff's view of an item: a query, so reading it leaves no trace in the history (the read is
        logged in the personal-data access log by the caller)."""
        run = self._runs.get(item_code)
        if run is None:
            raise ApplicationError(f"Case {self.case_no} has no item {item_code}.", non_retryable=True)
        return ItemApplication(
            item_code=item_code, round=run.state.round, inputs=self.resolve_inputs(run.item), form=dict(self._form)
        )

    @workflow.signal
    def department_result(self, result: DepartmentResult) -> None:
        """Before departments' results became an update: kept so histories recorded then still replay."""
        run = self._runs.get(result.item_code)
        if run is None or run.state.finished:
            return
        if not run.deliver(self._reply_from(run, result)):
            workflow.logger.info("ignored a stale or repeated result for item %s", result.item_code)

    @workflow.update
    def receive_department_result(self, result: DepartmentCallback) -> ItemStatus:
        """A department's signed result, judged by the validator below: the sender learns at once whether
        it was taken, and a result that arrives the instant the case starts needs no projection to find it."""
        run = self._runs[result.item_code]
        run.deliver(self._reply_from(run, result))
        return run.state.status

    @receive_department_result.validator
    def _check_department_result(self, result: DepartmentCallback) -> None:
        # Validators do not run on replay, so tightening these rules changes no recorded history.
        run = self._runs.get(result.item_code)
        if run is None or run.item.department != result.department:
            raise refused(
                "own-item", "item_code", f"case {self.case_no} has no item {result.item_code} of {result.department}"
            )
        if run.item.mode is IntegrationMode.STANDARD_MODULE:
            raise refused(
                "staff-handled",
                "item_code",
                f"item {result.item_code} is decided by staff in the platform's handling module, not by callback",
            )
        if run.state.finished or self._stopping():
            raise ApplicationError(f"item {result.item_code} is already {run.state.status.value}", type=RESULT_IGNORED)
        if run.state.status is ItemStatus.PENDING:
            raise ApplicationError(
                f"item {result.item_code} has not been submitted yet; it waits for the items it depends on",
                type=RESULT_TOO_EARLY,
            )
        if run.item.mode is IntegrationMode.BATCH:
            self._check_batch_callback(run, result)
        if not run.expects(result.idempotency_key):
            raise ApplicationError(
                f"item {result.item_code} does not expect a result for {result.idempotency_key} now "
                "(a repeat, or an earlier round)",
                type=RESULT_IGNORED,
            )
        refusal = content_refusal(run.item, result)
        if refusal is not None:
            raise refusal

    @staticmethod
    def _check_batch_callback(run: ItemRun, result: DepartmentCallback) -> None:
        """A batch item takes a callback only when its submission's reply said its department calls back: before,
        a callback for a pulled item was taken by the validator and never read by the item."""
        pulled = run.results_pulled()
        if pulled is None and run.state.status is ItemStatus.RUNNING:
            raise ApplicationError(
                f"item {result.item_code}'s batch submission is still being handed over", type=RESULT_TOO_EARLY
            )
        if pulled:
            raise refused(
                "results-pulled",
                "item_code",
                f"{result.department}'s batch results for {result.item_code} are pulled from its result files, "
                "not taken by callback; the registry names it batch_results: callback when it posts them",
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
    async def staff_decision(self, decision: StaffDecision) -> ItemState:
        """The item's state once it has taken the decision (completed, rejected or waiting for the citizen)."""
        run = self._runs[decision.item_code]
        run.deliver(
            DepartmentReply(
                receipt_no=f"{self.case_no}:{decision.item_code}",
                idempotency_key=run.idempotency_key,
                status=STAFF_DECISION_STATUS[decision.decision],
                output=decision.output,
                reason=decision.reason,
            )
        )
        if self.patches.applies(STAFF_DECISION_ANSWERS_TAKEN_STATE):
            if self.patches.applies(STAFF_DECISION_WOKEN_DIRECTLY):
                await run.staff_handover()
            else:
                await workflow.wait_condition(lambda: run.state.holder is not Holder.STAFF)
        return run.state

    @staff_decision.validator
    def _check_staff_decision(self, decision: StaffDecision) -> None:
        run = self._runs.get(decision.item_code)
        if run is None or run.state.holder is not Holder.STAFF or self._stopping():
            raise ValueError(f"item {decision.item_code} is not waiting for a staff decision")
        undeclared = sorted(set(decision.output) - set(run.item.outputs))
        if undeclared:
            raise ValueError(f"{decision.item_code} issues only {', '.join(run.item.outputs) or 'no outputs'}")
        missing = [name for name in run.item.outputs if not decision.output.get(name, "").strip()]
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
        self._runs[supplement.item_code].supplement(supplement)
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
