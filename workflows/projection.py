"""The case's SQL projection, written from inside the workflow: one coalesced write per activation.

Items change the case's state many times in one workflow activation (a result completes one item and
starts the next); pages need only the last of those states. So a change only marks the state dirty, and a
background task writes the whole state once per activation through a local activity (no task-queue round
trip). The write is keyed by `seq`, so a retried or replayed write never goes backwards.
"""

from __future__ import annotations

import asyncio

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.projection import ProjectionActivities
    from workflows import policies
    from workflows.contracts import CaseState


class CaseProjector:
    def __init__(self, state: CaseState) -> None:
        self._state = state
        self._dirty = True
        """A new case has never been written: its first state goes out in the first activation."""
        self._writing = False
        self._writer: asyncio.Task[None] | None = None

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
        while True:
            await workflow.wait_condition(lambda: self._dirty)
            self._dirty, self._writing = False, True
            self._state.seq += 1
            self._state.as_of = workflow.now()
            try:
                await workflow.execute_local_activity_method(
                    ProjectionActivities.project_case_state,
                    self._state.model_copy(deep=True),
                    **policies.PROJECTION.options(),
                )
            finally:
                self._writing = False
