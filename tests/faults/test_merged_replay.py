"""The merged-replay check (cli/merged_replay.py) groups workflow tasks as a worker taking a case over did.

`histories/legacy_order_taken_over.json` is a fault-suite case recorded in the SDK's legacy activation
order (before core/activations.py): its worker was SIGKILLed, and the worker that took the case over
delivered the result of a commandless task (a notice that had gone, activity 23) together with the next
task's two staff decisions. A plain replay delivers them apart and fails with the TimerCanceled
nondeterminism the suite found; replayed with that one task merged, as live, it replays. So the check
reproduces the live grouping, and the grouping alone made the legacy order nondeterministic.

`histories/local_activity_heartbeat.json` (patch projection-local, recorded under queries on a loaded
machine) has a task that ended without commands while its projection write, a local activity, still ran
(events 45-47, the next task scheduled and started at once): core collapses such a sequence on every replay,
so the check must not hold it back as a commandless task (it did, and failed a history that replays).
"""

from __future__ import annotations

from pathlib import Path

from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from cli.merged_replay import commandless_results, records_one_batch_activations, replay_merged
from tests.support.histories import HISTORIES
from workflows.registry import WORKFLOWS

TAKEN_OVER = Path(__file__).parent / "histories" / "legacy_order_taken_over.json"
NOTICE_GONE = frozenset({("resolve_activity", 23)})
HEARTBEAT = Path(__file__).parent / "histories" / "local_activity_heartbeat.json"


def taken_over() -> WorkflowHistory:
    return WorkflowHistory.from_json("taken-over", TAKEN_OVER.read_text(encoding="utf-8"))


def test_the_commandless_task_is_found_in_the_history() -> None:
    history = taken_over()
    assert NOTICE_GONE in commandless_results(history)
    assert not records_one_batch_activations(history)


async def test_a_plain_replay_of_the_taken_over_case_fails(converter) -> None:  # type: ignore[no-untyped-def]
    result = await Replayer(workflows=WORKFLOWS, data_converter=converter).replay_workflow(
        taken_over(), raise_on_replay_failure=False
    )
    assert result.replay_failure is not None
    assert "TimerCanceled" in str(result.replay_failure)


async def test_merged_as_the_taking_over_worker_did_it_replays(converter) -> None:  # type: ignore[no-untyped-def]
    merged = await replay_merged([taken_over()], WORKFLOWS, converter, mergeable=lambda _: [NOTICE_GONE])
    assert merged.merged_tasks == 1
    assert not merged.failures, merged.failures


async def test_committed_one_batch_histories_replay_with_every_commandless_task_merged(converter) -> None:  # type: ignore[no-untyped-def]
    histories = [
        WorkflowHistory.from_json(path.stem, path.read_text(encoding="utf-8"))
        for path in sorted(HISTORIES.glob("*.json"))
    ]
    one_batch = [history for history in histories if records_one_batch_activations(history)]
    assert one_batch, "record one: ONETHING_RECORD_HISTORIES=1 pytest tests/faults/test_replay_under_queries.py"
    merged = await replay_merged(one_batch, WORKFLOWS, converter)
    assert merged.merged_tasks >= len(one_batch)
    assert not merged.failures, merged.failures


def heartbeat_history() -> WorkflowHistory:
    return WorkflowHistory.from_json("heartbeat", HEARTBEAT.read_text(encoding="utf-8"))


def test_a_local_activity_heartbeat_is_not_taken_for_a_commandless_task() -> None:
    history = heartbeat_history()
    kinds = [event.event_type for event in history.events]
    completed = EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED
    heartbeats = [
        index
        for index, kind in enumerate(kinds[:-2])
        if kind == completed
        and kinds[index + 1 : index + 3]
        == [EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED, EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED]
    ]
    assert heartbeats, "the committed history no longer has the heartbeat this test is about"
    assert commandless_results(history) == []


async def test_the_heartbeat_history_replays_plainly_and_merged(converter) -> None:  # type: ignore[no-untyped-def]
    history = heartbeat_history()
    plain = await Replayer(workflows=WORKFLOWS, data_converter=converter).replay_workflow(
        history, raise_on_replay_failure=False
    )
    assert plain.replay_failure is None, plain.replay_failure
    merged = await replay_merged([history], WORKFLOWS, converter)
    assert not merged.failures, merged.failures
