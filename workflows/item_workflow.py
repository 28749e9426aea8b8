"""ItemWorkflow: one service item as a child workflow of its case (`BundleInput.item_runner == "child"`).

It hosts the very `ItemRun` the case otherwise runs inline, and is that run's `CaseContext`: what the
item needs from its case comes in the input (the form fields it reads, the outputs of the items it
reads from), and every change goes back to the case as an `item_changed` signal. The case forwards
department results, staff decisions and supplements in. Why this is not the default:
docs/benchmarks.md and the docstring of workflows/bundle.py.
"""

from __future__ import annotations

import asyncio
from typing import Any

from pydantic import BaseModel, Field
from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from one_things.schema import Item
    from workflows.contracts import DepartmentReply, ItemState, Supplement
    from workflows.item import ItemRun, item_payload


class ItemInput(BaseModel):
    case_no: str
    thing_code: str
    yellow_before_days: int
    item: Item
    state: ItemState
    form: dict[str, Any]
    """Only the form fields this item reads: a department's item sees no more of the citizen's form."""
    outputs: dict[str, dict[str, str]]
    """Outputs of the earlier items this item reads."""


class ItemReport(BaseModel):
    """A child's news for its case: the item's state and every form correction (补正) taken so far."""

    state: ItemState
    form: dict[str, Any] = Field(default_factory=dict)


@workflow.defn
class ItemWorkflow:
    @workflow.init
    def __init__(self, child: ItemInput) -> None:
        self.case_no = child.case_no
        self.thing_code = child.thing_code
        self.yellow_before_days = child.yellow_before_days
        self._form = dict(child.form)
        self._outputs = child.outputs
        self._corrections: dict[str, Any] = {}
        self._run = ItemRun(self, child.item, child.state)
        self._dirty = False

    @workflow.run
    async def run(self, child: ItemInput) -> ItemReport:
        reporter = asyncio.create_task(self._report_changes())
        await self._run.run()
        await reporter  # returns once the state is final; a report still in flight is delivered first
        return ItemReport(state=self._run.state, form=dict(self._corrections))

    async def _report_changes(self) -> None:
        """One signal per activation with changes; the final state travels as the result instead."""
        parent = workflow.info().parent
        assert parent is not None, "ItemWorkflow runs only as a child of OneThingWorkflow"
        case = workflow.get_external_workflow_handle_for(bundle.OneThingWorkflow.run, parent.workflow_id)
        while True:
            await workflow.wait_condition(lambda: self._dirty)
            if self._run.state.finished:
                return
            self._dirty = False
            report = ItemReport(state=self._run.state.model_copy(), form=dict(self._corrections))
            await case.signal(bundle.OneThingWorkflow.item_changed, report)

    # --- CaseContext for the ItemRun ---------------------------------------------------------------

    def changed(self) -> None:
        self._dirty = True

    def resolve_inputs(self, item: Item) -> dict[str, Any]:
        return item_payload(item, self._form, self._outputs)

    def apply_supplement(self, supplement: Supplement) -> None:
        self._form.update(supplement.form)
        self._corrections.update(supplement.form)

    # --- messages forwarded by the case --------------------------------------------------------------

    @workflow.signal
    def deliver(self, reply: DepartmentReply) -> None:
        if not self._run.deliver(reply):
            workflow.logger.info("ignored a stale or repeated result for item %s", self._run.item.code)

    @workflow.signal
    def supplement(self, supplement: Supplement) -> None:
        # The case checked this against its copy of the state, which may be one report behind.
        if self._run.accepts_supplement():
            self._run.supplement(supplement)


# Last, and bound as a module: bundle.py imports this module's names, so whichever of the two loads
# first, the cycle closes with both complete (OneThingWorkflow is looked up only when a child runs).
with workflow.unsafe.imports_passed_through():
    from workflows import bundle
