"""A new case records one epoch marker and takes every patch of today (workflows/patches.py); cases recorded
before it ask each patch as they always did (their committed histories replay: tests/workflows/test_replay.py)."""

from __future__ import annotations

import json

import pytest
from temporalio.api.enums.v1 import EventType

from tests.workflows.fast.cases import Case, Cases, item, thing
from tests.workflows.harness import until
from workflows import bundle, notices, projection, rectification, sla_clock
from workflows import item as item_module
from workflows.bundle import OneThingWorkflow
from workflows.contracts import StaffDecision
from workflows.patches import EPOCH, PATCHES_OF_EPOCH

pytestmark = pytest.mark.fast


async def patch_markers(case: Case) -> list[str]:
    """The ids of the patch markers in the case's history, in order."""
    ids = []
    async for event in case.fetch_history_events():
        if (
            event.event_type == EventType.EVENT_TYPE_MARKER_RECORDED
            and event.marker_recorded_event_attributes.marker_name == "core_patch"  # not a local activity's
        ):
            (payload,) = event.marker_recorded_event_attributes.details["patch-data"].payloads
            ids.append(json.loads(payload.data)["id"])
    return ids


async def test_a_new_case_records_the_epoch_once_and_takes_every_patch_of_it(cases: Cases) -> None:
    definition = thing(item("a", "alpha", "sync_rest"), item("s", "beta", "standard_module", depends_on=["a"]))
    case = await cases.start(definition, "EPOCH-1")
    await until(case, lambda s: s.item("s").holder == "staff")
    # staff-decision-answers-taken-state: the update answers with the item as the decision left it.
    decided = await case.execute_update(
        OneThingWorkflow.staff_decision,
        StaffDecision(item_code="s", decision="approve", output={"s_no": "S-1"}, staff="k"),
    )
    assert (decided.status, decided.holder) == ("completed", None)
    final = await case.result()
    assert final.status == "completed"
    assert cases.fakes.deadlines == []  # deadline-inside-workflow: counted by the case itself
    assert {m.kind.value for m in cases.fakes.messages} >= {"accepted", "all_done"}  # messages-in-projection

    assert await patch_markers(case) == [EPOCH]  # the projection's own patches are the epoch's too


def test_the_epoch_covers_the_patches_that_existed_when_it_was_introduced() -> None:
    """Guards the literal ids against typos; a patch added later must never be added to the epoch."""
    assert {
        bundle.CONDITIONAL_DEPENDENCIES,
        bundle.STAFF_DECISION_ANSWERS_TAKEN_STATE,
        bundle.STAFF_DECISION_WOKEN_DIRECTLY,
        sla_clock.SLA_CLOCK_PER_CASE,
        item_module.DEADLINE_BESIDE_SUBMISSION,
        item_module.ITEM_FAILURE_HALTS_CASE,
        item_module.DEADLINE_INSIDE_WORKFLOW,
        notices.MESSAGES_PATCH,
        notices.MESSAGES_IN_PROJECTION,
        projection.PROJECTION_AS_ACTIVITY,
        projection.PROJECTION_LOCAL,
        projection.PROJECTION_AFTER_OTHERS,
        rectification.LAST_UPDATE_PROJECTED,
    } == PATCHES_OF_EPOCH
