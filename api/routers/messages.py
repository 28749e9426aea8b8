"""The citizen's in-app inbox: notices of their cases, newest first, and marking them read."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel

from api.deps import CitizenDep, SessionDep
from api.problems import ProblemError
from persistence.messages import InboxMessage, list_inbox, mark_read

router = APIRouter(prefix="/messages", tags=["messages"])


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


@router.get("", response_model=Inbox)
def inbox(principal: CitizenDep, session: SessionDep) -> Inbox:
    messages, unread = list_inbox(session, owner=principal.subject)
    return Inbox(messages=[_view(message) for message in messages], unread=unread)


@router.post("/{message_id}/read", response_model=MessageView)
def read(message_id: int, principal: CitizenDep, session: SessionDep) -> MessageView:
    message = mark_read(session, owner=principal.subject, message_id=message_id)
    if message is None:
        # Someone else's message answers exactly like a missing one: no probing of ids.
        raise ProblemError(404, "Not found", f"No message {message_id} for this account.")
    return _view(message)
