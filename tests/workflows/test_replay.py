"""Committed histories must replay on today's workflow code: a non-deterministic change fails here."""

from __future__ import annotations

import pytest
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from core.workflow_runner import sandboxed_runner
from tests.support.histories import HISTORIES
from workflows.registry import WORKFLOWS

HISTORY_FILES = sorted(HISTORIES.glob("*.json"))


def test_histories_are_committed() -> None:
    assert len(HISTORY_FILES) >= 4, "record them: ONETHING_RECORD_HISTORIES=1 pytest tests/workflows tests/e2e"


@pytest.mark.parametrize("path", HISTORY_FILES, ids=[path.stem for path in HISTORY_FILES])
async def test_history_replays(path, converter) -> None:  # type: ignore[no-untyped-def]
    history = WorkflowHistory.from_json(path.stem, path.read_text(encoding="utf-8"))
    # The product worker's runner (worker.py): the sandbox, its serialization context answered outside it.
    replayer = Replayer(workflows=WORKFLOWS, data_converter=converter, workflow_runner=sandboxed_runner(converter))
    await replayer.replay_workflow(history)
