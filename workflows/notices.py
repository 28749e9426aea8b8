"""Citizen notices of a case: accepted, correction needed, item done, all done.

The case reports every change here; this module turns transitions into messages, each exactly once
per (kind, item, round), and sends them one after another from a background task so the items never
wait on a notice. A notice that cannot be delivered within its policy is logged and dropped: it never
fails the case. Introduced behind `workflow.patched(MESSAGES_PATCH)`: cases whose history predates it
replay without sending anything. Cost: one regular activity per notice (7 for a completed newborn
case), chosen over a local activity so a slow SMS gateway never holds up a workflow task.

Cases started under MESSAGES_IN_PROJECTION send no notice from here: the state they write to the projection
carries the names a notice needs, and the projection's transaction derives and writes the notices the state owes
(activities/case_notices.py), sent on their channels by one sender per worker (activities/message_sender.py).
Histories recorded before that patch replay through `send_message`, which stays registered for them.
"""

from __future__ import annotations

import asyncio

from temporalio import workflow
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from activities.messages import MessageActivities
    from workflows import policies
    from workflows.contracts import (
        BundleInput,
        CaseState,
        CaseStatus,
        ItemState,
        ItemStatus,
        Message,
        MessageKind,
        NoticeNames,
    )
    from workflows.patches import Patches

MESSAGES_PATCH = "citizen-messages"
MESSAGES_IN_PROJECTION = "messages-in-projection"

ITEM_NOTICES = {ItemStatus.WAITING_CITIZEN: MessageKind.CORRECTION_NEEDED, ItemStatus.COMPLETED: MessageKind.ITEM_DONE}


class Notices:
    def __init__(self, bundle: BundleInput, patches: Patches) -> None:
        self._bundle = bundle
        self._patches = patches
        self._outbox: list[Message] = []
        self._queued: set[tuple[MessageKind, str, int]] = set()
        self._sending = False
        self._sender: asyncio.Task[None] | None = None
        self.enabled = False

    def start(self, state: CaseState) -> None:
        """Called once at the top of the run, before the first projection write: decides, durably, whether this
        case sends notices, and whether it sends them itself or its projection writes them."""
        self.enabled = self._patches.applies(MESSAGES_PATCH)
        if self.enabled and self._patches.applies(MESSAGES_IN_PROJECTION):
            self.enabled = False
            thing = self._bundle.thing
            state.notice_names = NoticeNames(
                thing=thing.name, items={i.code: i.name for i in thing.items if i.code in self._bundle.included}
            )
            return
        if self.enabled:
            self._sender = asyncio.create_task(self._send_queued())
            self._queue(MessageKind.ACCEPTED)

    def observe(self, items: list[ItemState]) -> None:
        if not self.enabled:
            return
        for item in items:
            kind = ITEM_NOTICES.get(item.status)
            if kind is not None:
                self._queue(kind, item)

    def case_finished(self, state: CaseState) -> None:
        if self.enabled and state.status is CaseStatus.COMPLETED:
            self._queue(MessageKind.ALL_DONE)

    async def drain(self) -> None:
        """Lets the queued notices go out before the case closes (each bounded by its policy)."""
        if self._sender is None:
            return
        await workflow.wait_condition(lambda: not self._outbox and not self._sending)
        self._sender.cancel()

    def _queue(self, kind: MessageKind, item: ItemState | None = None) -> None:
        code, round_ = (item.code, item.round) if item else ("", 0)
        if (kind, code, round_) in self._queued:
            return
        self._queued.add((kind, code, round_))
        thing = self._bundle.thing
        self._outbox.append(
            Message(
                owner=self._bundle.owner,
                case_no=self._bundle.case_no,
                kind=kind,
                item_code=code,
                round=round_,
                thing_name=thing.name,
                item_name=thing.item(code).name if item else None,
                reason=item.reason if item and kind is MessageKind.CORRECTION_NEEDED else None,
            )
        )

    async def _send_queued(self) -> None:
        while True:
            await workflow.wait_condition(lambda: bool(self._outbox))
            message = self._outbox.pop(0)
            self._sending = True
            try:
                await workflow.execute_activity_method(
                    MessageActivities.send_message,
                    message,
                    **policies.MESSAGE.options(),
                )
            except ActivityError:
                workflow.logger.warning(
                    "%s notice for item %s could not be sent", message.kind.value, message.item_code
                )
            finally:
                self._sending = False
