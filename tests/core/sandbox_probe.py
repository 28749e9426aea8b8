"""A workflow for tests/core/test_workflow_runner.py, in a module of its own: the sandbox re-imports its module."""

from __future__ import annotations

from datetime import datetime

from temporalio import workflow
from temporalio.worker.workflow_sandbox import RestrictedWorkflowAccessError


# The sandbox's refusal fails the run (instead of retrying the task forever), so a test can see it.
@workflow.defn(failure_exception_types=[RestrictedWorkflowAccessError])
class SandboxProbe:
    @workflow.run
    async def run(self, read_wall_clock: bool) -> str:
        if read_wall_clock:
            return datetime.now().isoformat()  # not deterministic: the sandbox must refuse it
        return f"echo {workflow.info().workflow_id}"
