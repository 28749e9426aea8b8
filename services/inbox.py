"""The citizen's in-app inbox: notices of their cases, newest first, and marking them read."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel
from sqlmodel import Session

from persistence.messages import InboxMessage, list_inbox
from persistence.messages import mark_read as mark_row_read
from services.errors import NotFoundError


class MessageView(BaseModel):
    id: int
    case_no: str
    kind: str
    """accepted, correction_needed, item_done, all_done or licence_expiring."""
    item_code: str
    title_zh: str
    title_en: str
    body_zh: str
    body_en: str
    created_at: datetime
    read_at: datetime | None


class Inbox(BaseModel):
    messages: list[MessageView]
    unread: int


def _view(message: InboxMessage) -> MessageView:
    return MessageView.model_validate(message.model_dump())


def inbox(session: Session, *, owner: str) -> Inbox:
    messages, unread = list_inbox(session, owner=owner)
    return Inbox(messages=[_view(message) for message in messages], unread=unread)


def mark_read(session: Session, *, owner: str, message_id: int, now: datetime) -> MessageView:
    message = mark_row_read(session, owner=owner, message_id=message_id, now=now)
    if message is None:
        # Someone else's message answers exactly like a missing one: no probing of ids.
        raise NotFoundError(f"No message {message_id} for this account.")
    return _view(message)
