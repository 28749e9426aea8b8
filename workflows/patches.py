"""Which patched behaviours a workflow run takes: one epoch marker for a new case instead of one per patch.

Every `workflow.patched(X)` that a new run reaches records a MarkerRecorded event and, through the SDK's core,
an UpsertWorkflowSearchAttributes of `TemporalChangeVersion`: two history events per patch. A newborn case
reached six patches (twelve events, about a tenth of its history) only to learn what every new case learns:
all of them are on. So a run asks one patch, EPOCH, and a run that has it takes every patch in
PATCHES_OF_EPOCH without calling `workflow.patched` for them.

The epoch is asked once, as the workflow object is built in its first activation (`Patches()` in the
`@workflow.init` constructor, before any other patch is asked or any handler runs), and kept for the whole
run, because a patch's answer must hold for the whole run: the first activation is the only point every
history shares. A run recorded before the epoch existed (a committed history, or a case in flight across the
deploy) replays its first activation without the marker and so asks each patch itself, exactly as before; a
run that recorded it finds it again on replay. Asked later instead, a case in flight across the deploy would
take new code paths from the middle of its life on.

Never add a patch to PATCHES_OF_EPOCH: runs recorded with the epoch before that patch existed took its old
path, and would replay down the new one. A patch added after the epoch is asked individually (`applies` falls
through to `workflow.patched` for it), as before; a later release may open a new epoch that covers those too.

Why not stop the search-attribute upsert by an option instead: temporalio 1.35 has none. The upsert is added by
the SDK's core on every new patch marker under an internal flag (`UpsertSearchAttributeOnPatch`) and left out
only when `TemporalChangeVersion` would exceed its size limit; the worker's `patch_activation_callback`
(experimental) decides whether a patch is taken, not whether it is recorded. Deprecating a patch
(`workflow.deprecate_patch`) still records its marker. Fewer patches asked is the only lever.
"""

from __future__ import annotations

from temporalio import workflow

EPOCH = "epoch-2026-12-06"
"""Patch: a run that records it takes every patch of PATCHES_OF_EPOCH without asking each."""

PATCHES_OF_EPOCH = frozenset(
    {
        # OneThingWorkflow (workflows/bundle.py)
        "conditional-dependencies",
        "staff-decision-answers-taken-state",
        "staff-decision-woken-directly",
        "sla-clock-per-case",  # workflows/sla_clock.py
        # the items (workflows/item.py)
        "deadline-beside-submission",
        "item-failure-halts-case",
        "deadline-inside-workflow",
        # the notices (workflows/notices.py)
        "citizen-messages",
        "messages-in-projection",
        # the projection writes of both workflows (workflows/projection.py)
        "projection-as-activity",
        # shipped in the same release as the epoch: no run recorded the epoch without them
        "projection-local",
        "projection-after-others",
        # RectificationWorkflow (workflows/rectification.py)
        "rectification-last-update-projected",
    }
)
"""Every patch of OneThingWorkflow and RectificationWorkflow that existed when EPOCH was introduced. Frozen."""


class Patches:
    """Built in a workflow's constructor (its first activation); see the module's docstring."""

    def __init__(self) -> None:
        self._epoch = workflow.patched(EPOCH)

    def applies(self, patch_id: str) -> bool:
        """`workflow.patched(patch_id)`, answered without a marker for a run of the epoch when the epoch covers it."""
        if self._epoch and patch_id in PATCHES_OF_EPOCH:
            return True
        return workflow.patched(patch_id)
