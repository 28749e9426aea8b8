"""Replays a history the way a worker rebuilding it after a restart was seen to: every workflow task that
produced no commands delivered together with the next task's jobs.

A plain replay delivers such a task's activity results in an activation of their own; a worker that took
the case over from a killed one delivered them in the next task's activation (core/activations.py says
what that broke). A history whose workflow code is indifferent to the grouping replays both ways; this
check makes the second way happen on demand instead of once in a few fault-suite runs.

How: the SDK has no switch for it, so the workflow instance's `activate` is wrapped for the duration of the
check (a private method of temporalio 1.35; pinned by uv.lock, and the check reports how many tasks it
merged, so a wrapper that stopped taking effect shows as "0 merged" rather than as a pass). The wrapper
holds back an activation made only of the results of a commandless task found in the history, answers it
with no commands (which is what the history says that task did) and puts its jobs in front of the next
activation's. Workflows run without the sandbox here; the plain replay runs them in it.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from temporalio.api.enums.v1 import EventType
from temporalio.bridge.proto.workflow_activation import WorkflowActivation, WorkflowActivationJob
from temporalio.bridge.proto.workflow_completion import WorkflowActivationCompletion
from temporalio.client import WorkflowHistory
from temporalio.converter import DataConverter
from temporalio.worker import Replayer, UnsandboxedWorkflowRunner, _workflow_instance

from core.activations import ONE_BATCH_FLAG

COMMAND_EVENTS = frozenset(
    {
        EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED,
        EventType.EVENT_TYPE_ACTIVITY_TASK_CANCEL_REQUESTED,
        EventType.EVENT_TYPE_TIMER_STARTED,
        EventType.EVENT_TYPE_TIMER_CANCELED,
        EventType.EVENT_TYPE_MARKER_RECORDED,
        EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES,
        EventType.EVENT_TYPE_WORKFLOW_PROPERTIES_MODIFIED,
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED,
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED,
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED,
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW,
        EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED,
        EventType.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED,
        EventType.EVENT_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED,
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED,
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED,
    }
)
ACTIVITY_RESULTS = frozenset(
    {
        EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED,
        EventType.EVENT_TYPE_ACTIVITY_TASK_FAILED,
        EventType.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT,
        EventType.EVENT_TYPE_ACTIVITY_TASK_CANCELED,
    }
)
ENDED_WITHOUT_COMPLETION = frozenset(
    {EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED, EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT}
)

NO_JOB = frozenset({EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED, EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED})

Result = tuple[str, int]
"""("resolve_activity", activity seq) or ("fire_timer", timer seq): one job that only delivers a result."""


def commandless_results(history: WorkflowHistory) -> list[frozenset[Result]]:
    """For each workflow task that completed without commands, the results it delivered (if only results)."""
    activity_seq: dict[int, int] = {}
    pending: list[Result | None] = []  # None: a job that is not a result (signal, update, start...)
    delivered: list[Result | None] = []
    found: list[frozenset[Result]] = []
    events = list(history.events)
    for index, event in enumerate(events):
        kind = event.event_type
        if kind == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            activity_seq[event.event_id] = int(event.activity_task_scheduled_event_attributes.activity_id)
        elif kind in ACTIVITY_RESULTS:
            attributes = _result_attributes(event)
            pending.append(("resolve_activity", activity_seq[attributes.scheduled_event_id]))
        elif kind == EventType.EVENT_TYPE_TIMER_FIRED:
            pending.append(("fire_timer", int(event.timer_fired_event_attributes.timer_id)))
        elif kind == EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED:
            delivered, pending = pending, []
        elif kind in ENDED_WITHOUT_COMPLETION:
            pending = delivered + pending  # the next task delivers them again
        elif kind == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
            following = events[index + 1].event_type if index + 1 < len(events) else None
            results = [job for job in delivered if job is not None]
            # A task followed at once by the next one's WorkflowTaskScheduled and WorkflowTaskStarted is a
            # heartbeat while a local activity ran (or a task the server forced): the SDK's core collapses such
            # an empty sequence into one task on every replay (sdk-core arch_docs/workflow_task_chunking.md),
            # so there is no other grouping to try, and holding its activation back would hide the local
            # activity's command. (The taken-over case's task was followed by activity events: not collapsed.)
            collapsed_by_core = [event.event_type for event in events[index + 1 : index + 3]] == [
                EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED,
                EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED,
            ]
            if following not in COMMAND_EVENTS and not collapsed_by_core and results and len(results) == len(delivered):
                found.append(frozenset(results))
        elif kind not in COMMAND_EVENTS and kind not in NO_JOB:
            pending.append(None)
    return found


def records_one_batch_activations(history: WorkflowHistory) -> bool:
    """Whether the history was recorded with every activation's jobs applied at once (core/activations.py)."""
    return any(
        ONE_BATCH_FLAG in event.workflow_task_completed_event_attributes.sdk_metadata.lang_used_flags
        for event in history.events
        if event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED
    )


def _result_attributes(event: Any) -> Any:
    for name in (
        "activity_task_completed_event_attributes",
        "activity_task_failed_event_attributes",
        "activity_task_timed_out_event_attributes",
        "activity_task_canceled_event_attributes",
    ):
        if event.HasField(name):
            return getattr(event, name)
    raise ValueError(f"event {event.event_id} is not an activity result")


def _results_of(jobs: Sequence[WorkflowActivationJob]) -> frozenset[Result] | None:
    results: set[Result] = set()
    for job in jobs:
        if job.HasField("resolve_activity"):
            results.add(("resolve_activity", job.resolve_activity.seq))
        elif job.HasField("fire_timer"):
            results.add(("fire_timer", job.fire_timer.seq))
        else:
            return None
    return frozenset(results)


@dataclass
class _Run:
    mergeable: list[frozenset[Result]]
    held: list[WorkflowActivationJob] = field(default_factory=list)
    merged: int = 0


@dataclass
class MergedReplay:
    failures: dict[str, str]
    """run id → the replay's error."""
    merged_tasks: int
    histories: int


@contextlib.contextmanager
def _merging(runs: dict[str, _Run]) -> Iterator[None]:
    instance_class = _workflow_instance._WorkflowInstanceImpl
    activate = instance_class.activate
    lock = threading.Lock()

    def merging_activate(self: Any, act: WorkflowActivation) -> WorkflowActivationCompletion:
        with lock:
            run = runs.get(act.run_id)
        if run is not None:
            results = _results_of(act.jobs)
            if results and results in run.mergeable and not run.held:
                run.mergeable.remove(results)
                run.held = list(act.jobs)
                completion = WorkflowActivationCompletion(run_id=act.run_id)
                completion.successful.SetInParent()
                return completion
            if run.held and not any(job.HasField("remove_from_cache") for job in act.jobs):
                jobs = [*run.held, *act.jobs]
                del act.jobs[:]
                act.jobs.extend(jobs)
                run.held, run.merged = [], run.merged + 1
        return activate(self, act)

    instance_class.activate = merging_activate  # type: ignore[method-assign]
    try:
        yield
    finally:
        instance_class.activate = activate  # type: ignore[method-assign]


async def replay_merged(
    histories: Sequence[WorkflowHistory],
    workflows: Sequence[type],
    converter: DataConverter,
    mergeable: Callable[[WorkflowHistory], list[frozenset[Result]]] = commandless_results,
) -> MergedReplay:
    """Replays each history with its commandless tasks (or those `mergeable` names) merged into the next."""
    runs = {history.run_id: _Run(mergeable=mergeable(history)) for history in histories}
    replayer = Replayer(workflows=workflows, data_converter=converter, workflow_runner=UnsandboxedWorkflowRunner())
    failures: dict[str, str] = {}
    with _merging(runs):
        for history in histories:
            result = await replayer.replay_workflow(history, raise_on_replay_failure=False)
            if result.replay_failure is not None:
                failures[history.run_id] = str(result.replay_failure)
    return MergedReplay(
        failures=failures, merged_tasks=sum(run.merged for run in runs.values()), histories=len(histories)
    )
