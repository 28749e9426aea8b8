"""The case's SQL projection, written from inside the workflow: one coalesced write per activation.

Items change the case's state many times in one workflow activation (a result completes one item and
starts the next); pages need only the last of those states. So a change only marks the state dirty, and a
background task writes the whole state once per activation, one write at a time. The write is keyed by
`seq`, so a retried or replayed write never goes backwards.

The write is a regular activity, no longer a local one (patch PROJECTION_AS_ACTIVITY). A local activity's
resolution is not an event in the history: live, it arrives in an activation of its own as soon as it
finishes; on replay, the SDK delivers it where its marker sits, possibly beside other jobs, and local and
regular activities draw their ids from one sequence. Under queries every 50 ms (each may make the worker
replay the case) histories failed with "Activity id of scheduled event '10' does not match activity id of
activity command '11'" even with only one local activity in flight (tests/faults/test_replay_under_queries.py;
the SDK's open issues temporalio/sdk-python#1578 and #1881 are the same family). A regular activity is
ordered by the history alone. What it costs: docs/reliability.md §1 (`python -m benchmarks.projection_modes`).
"""

from __future__ import annotations

import asyncio

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.projection import ProjectionActivities
    from workflows import policies
    from workflows.contracts import CaseState


PROJECTION_AS_ACTIVITY = "projection-as-activity"
"""Patch: histories recorded before it wrote the projection through a local activity."""


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
        # The only caller of `write`: one write at a time (see the module's docstring).
        while True:
            await workflow.wait_condition(lambda: self._dirty)
            self._dirty, self._writing = False, True
            self._state.seq += 1
            self._state.as_of = workflow.now()
            try:
                await self.write(self._state.model_copy(deep=True))
            finally:
                self._writing = False

    @staticmethod
    async def write(state: CaseState) -> None:
        if workflow.patched(PROJECTION_AS_ACTIVITY):
            await workflow.execute_activity_method(
                ProjectionActivities.project_case_state, state, **policies.PROJECTION.options()
            )
        else:
            await workflow.execute_local_activity_method(
                ProjectionActivities.project_case_state, state, **policies.PROJECTION.options()
            )
