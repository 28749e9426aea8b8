"""The citizen's in-app inbox: notices of their cases, newest first, and marking them read."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import CitizenDep, ClockDep, SessionDep
from api.openapi import problems
from api.params import RowId
from services import inbox as inbox_service
from services.errors import NotFoundError
from services.inbox import Inbox, MessageView

router = APIRouter(prefix="/messages", tags=["messages"])


@router.get("", response_model=Inbox)
def inbox(principal: CitizenDep, session: SessionDep) -> Inbox:
    return inbox_service.inbox(session, owner=principal.subject)


@router.post("/{message_id}/read", response_model=MessageView, responses=problems(NotFoundError))
def read(message_id: RowId, principal: CitizenDep, session: SessionDep, clock: ClockDep) -> MessageView:
    return inbox_service.mark_read(session, owner=principal.subject, message_id=message_id, now=clock.now())
