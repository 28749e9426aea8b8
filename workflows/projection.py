"""The case's SQL projection, written from inside the workflow: one coalesced write per activation.

Items change the case's state many times in one workflow activation (a result completes one item and
starts the next); pages need only the last of those states. So a change only marks the state dirty, and a
background task writes the whole state once per activation, one write at a time. The write is keyed by
`seq`, so a retried or replayed write never goes backwards.

The write is a **local activity** again for cases recorded since patch PROJECTION_LOCAL (issue 15: a regular
activity costs three history events, a task-queue round trip and, when nothing else is in flight, a workflow
task of its own per write; a local activity one marker and no round trip). Between patches
PROJECTION_AS_ACTIVITY and PROJECTION_LOCAL it was a regular activity because local activities failed to
replay under queries: "Activity id of scheduled event '10' does not match activity id of activity command
'11'" (tests/faults/test_replay_under_queries.py). A local activity's resolution is not an event of its own:
live it arrives in an activation of its own, on replay the SDK may deliver it beside the next workflow task's
jobs, and in the SDK's legacy activation order the updates and signals of that task then ran first. Since
core/activations.py every new case is recorded with the SDK's one-batch order (every job applied before any
coroutine runs), under which the merged and the separate deliveries wake the coroutines in the same order:
the same reason the taken-over replay failure went away (docs/reliability.md §1). The choice is made once, in
the case's first activation, so a case recorded before (in the legacy order) never switches mid-run.
"""

from __future__ import annotations

import asyncio

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.projection import ProjectionActivities
    from workflows import policies
    from workflows.contracts import CaseState
    from workflows.patches import Patches


PROJECTION_AS_ACTIVITY = "projection-as-activity"
"""Patch: histories recorded before it wrote the projection through a local activity."""

PROJECTION_LOCAL = "projection-local"
"""Patch: cases recorded since write through a local activity again (one-batch activations, see above)."""

PROJECTION_AFTER_OTHERS = "projection-after-others"
"""Patch: the writer lets the other coroutines woken with it run before it takes its copy of the state."""


class CaseProjector:
    def __init__(self, state: CaseState, patches: Patches) -> None:
        self._state = state
        self._dirty = True
        """A new case has never been written: its first state goes out in the first activation."""
        self._writing = False
        self._writer: asyncio.Task[None] | None = None
        # Decided in the case's first activation (constructed from the workflow's init): see the docstring.
        self._local = patches.applies(PROJECTION_LOCAL)
        self._after_others = patches.applies(PROJECTION_AFTER_OTHERS)
        self._patches = patches

    def start(self) -> None:
        self._writer = asyncio.create_task(self._write_changes())

    def mark_dirty(self) -> None:
        self._dirty = True

    def settled(self) -> bool:
        """Nothing left to write and no write in flight: the projection shows the state as it is."""
        return not self._dirty and not self._writing

    def close(self) -> None:
        if self._writer is not None:
            self._writer.cancel()

    async def _write_changes(self) -> None:
        # The only caller of `write`: one write at a time (see the module's docstring).
        while True:
            await workflow.wait_condition(lambda: self._dirty)
            if self._after_others:
                # Conditions wake in the order they were registered, and the writer's is often first (a new
                # case's always): without this turn it copied the state before the items woken with it had
                # moved, and their changes took a second write in the same workflow task (a local activity
                # more, and time on the task's critical path). One turn of the loop lets every coroutine woken
                # in this pass run first; the order is the same live and on replay.
                await asyncio.sleep(0)
            self._dirty, self._writing = False, True
            self._state.seq += 1
            # With seq, the projection's order key: a task lost after its write leaves the next task the same seq
            # (persistence/write_order.py). The input of a local activity is not part of the history: no patch.
            self._state.history_length = workflow.info().get_current_history_length()
            self._state.as_of = workflow.now()
            try:
                await self.write(self._state.model_copy(deep=True))
            finally:
                self._writing = False

    async def write(self, state: CaseState) -> None:
        if not self._local and self._patches.applies(PROJECTION_AS_ACTIVITY):
            await workflow.execute_activity_method(
                ProjectionActivities.project_case_state, state, **policies.PROJECTION.options()
            )
        else:
            await workflow.execute_local_activity_method(
                ProjectionActivities.project_case_state, state, **policies.PROJECTION.options()
            )
