"""A case's notices, derived from its state and written in the projection's transaction (no activity per notice).

For cases under the patch messages-in-projection (workflows/notices.py) the workflow sends no notice itself: each
projection write passes the whole state here, in the transaction that writes the case. What the state shows is
what the citizen is owed: the case was accepted; an item waits for the citizen in round r (a correction notice
for that round); an item is done; the case is completed. Each notice is the inbox row keyed by its business facts
(`message_key`), and only a newly added row queues its SMS and e-mail (persistence/message_outbox.py), so a
repeated, retried or replayed write adds and sends nothing twice. The sender (activities/message_sender.py) sends
the queue.

A correction notice needs a write that shows the item waiting: projection writes are coalesced, so a state that
lasts less than one write could be skipped. The citizen learns of a correction from the projection (the case's
page is read from it), so the waiting state is written, with its notice, before the citizen can answer it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlmodel import Session

from activities.message_texts import render
from activities.messages import add_to_inbox
from persistence.message_outbox import queue_message
from persistence.messages import inbox_keys, message_key
from workflows.contracts import CaseState, CaseStatus, ItemStatus, Message, MessageKind, NoticeNames

log = logging.getLogger("onething.messages")

ITEM_NOTICES = {ItemStatus.WAITING_CITIZEN: MessageKind.CORRECTION_NEEDED, ItemStatus.COMPLETED: MessageKind.ITEM_DONE}


def owed_notices(state: CaseState, names: NoticeNames) -> list[Message]:
    """Every notice this state shows the citizen is owed, in the order they happened as far as the state tells."""

    def notice(kind: MessageKind, code: str = "", round_: int = 0, reason: str | None = None) -> Message:
        return Message(
            owner=state.owner,
            case_no=state.case_no,
            kind=kind,
            item_code=code,
            round=round_,
            thing_name=names.thing,
            item_name=names.items.get(code) if code else None,
            reason=reason,
        )

    notices = [notice(MessageKind.ACCEPTED)]
    for item in state.items:
        kind = ITEM_NOTICES.get(item.status)
        if kind is not None:
            reason = item.reason if kind is MessageKind.CORRECTION_NEEDED else None
            notices.append(notice(kind, item.code, item.round, reason))
    if state.status is CaseStatus.COMPLETED:
        notices.append(notice(MessageKind.ALL_DONE))
    return notices


def owes_new_notice(state: CaseState, before_status: str | None, before_items: Mapping[str, Mapping[Any, Any]]) -> bool:
    """Whether `state` owes a notice the stored case (as the last applied projection write left it) did not: only
    then can `write_case_notices` add one. The write that stored a state wrote every notice it owed in the same
    transaction, so a state owing nothing more needs no look-up of the inbox."""
    before = notice_keys(
        CaseStatus(before_status) if before_status is not None else None,
        ((code, ItemStatus(row["status"]), row["round"]) for code, row in before_items.items()),
    )
    return not notice_keys(state.status, ((item.code, item.status, item.round) for item in state.items)) <= before


def notice_keys(status: CaseStatus | None, items: Iterable[tuple[str, ItemStatus, int]]) -> set[tuple[str, str, int]]:
    """The inbox keys (kind, item code, round) of the notices a case in `status` with these (code, status, round)
    items owes: those of `owed_notices`, without rendering any."""
    keys = {(MessageKind.ACCEPTED.value, "", 0)}
    for code, item_status, round_ in items:
        kind = ITEM_NOTICES.get(item_status)
        if kind is not None:
            keys.add((kind.value, code, round_))
    if status is CaseStatus.COMPLETED:
        keys.add((MessageKind.ALL_DONE.value, "", 0))
    return keys


def write_case_notices(session: Session, state: CaseState, *, now: datetime) -> int:
    """Adds the notices the state owes that are not in the inbox yet, and queues their channels, in the caller's
    transaction. Returns how many were new."""
    if state.notice_names is None:
        return 0  # the case sends its notices through the activity, or sends none
    added = 0
    held = inbox_keys(session, case_no=state.case_no)  # most writes owe nothing new: one query tells
    for message in owed_notices(state, state.notice_names):
        if (message.kind.value, message.item_code, message.round) in held:
            continue  # rendered only when new: most writes owe nothing
        if add_message(session, message, now=now, held=held):
            added += 1
            log.info(
                "message %s for case %s item %s queued", message.kind.value, state.case_no, message.item_code or "-"
            )
    return added


def add_message(
    session: Session, message: Message, *, now: datetime, held: set[tuple[str, str, int]] | None = None
) -> bool:
    """The inbox row and, when it is new, its channels' queue rows; whether it was new. `held`: add_to_inbox's."""
    text = render(message)
    if not add_to_inbox(session, message, text, now=now, held=held):
        return False
    key = message_key(case_no=message.case_no, kind=message.kind, item_code=message.item_code, round=message.round)
    for channel in message.channels:
        queue_message(
            session,
            key=f"{key}:{channel.value}",
            owner=message.owner,
            case_no=message.case_no,
            channel=channel.value,
            text=text.for_channel(channel),
            now=now,
        )
    return True
