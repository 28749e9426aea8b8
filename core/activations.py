"""How the worker applies the jobs of one workflow activation: all of them first, then the workflow code.

Why. A workflow task that produced no commands (a projection write or a notice finishing with nothing new
to do) is not always replayed as a task of its own: a worker that rebuilds a case from its full history
after a restart or a cache eviction was seen delivering that task's activity results in one activation
with the next task's jobs, where a replay from the same history delivers them separately. In the SDK's
default ("legacy") order an activation runs its signals and updates, with every coroutine they wake,
before it even applies its activity results; so the same history made different commands depending on
how it was grouped: `[TMPRL1100] Activity machine does not handle this event: TimerCanceled` in the
fault suite (a staff decision's update ran its whole cascade before the notice sender learnt that its
previous notice had gone, so the next notice went out after an SLA timer's cancellation instead of
before). docs/reliability.md §1 has the history and `cli/merged_replay.py` the check that finds it.

With every job applied before any coroutine runs, a result that arrives a task late only changes state
that the coroutines then read together, and the order of the commands no longer depends on the grouping.
The SDK has this mode behind its internal flag 2 (`PROCESS_WORKFLOW_ACTIVATION_JOBS_AS_SINGLE_BATCH`),
written into each history that uses it, so histories recorded before keep their legacy order on replay;
it is to become the SDK's default once two releases know the flag (its own TODO, temporalio 1.35). Until
then the only switch is the worker's private setter: pinned by uv.lock, and `tests/workflows/
test_activation_order.py` fails if an upgrade renames it or stops recording the flag.
"""

from __future__ import annotations

from temporalio.worker import Worker
from temporalio.worker._workflow_instance import _WorkflowLogicFlag

ONE_BATCH_FLAG = _WorkflowLogicFlag.PROCESS_WORKFLOW_ACTIVATION_JOBS_AS_SINGLE_BATCH


def jobs_applied_as_one_batch(worker: Worker) -> Worker:
    """`worker`, set (before it starts) to record new cases with every activation's jobs applied at once."""
    worker._set_default_workflow_logic_flag(ONE_BATCH_FLAG, enabled=True)
    return worker
