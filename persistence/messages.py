"""The citizen's in-app inbox and the development record of outgoing SMS and e-mail.

Inbox rows are unique by (case_no, kind, item_code, round): activity retries and workflow replays
deliver the same business fact, so they find the row and add nothing. Keyword-only functions;
callers own the session and commit.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, UniqueConstraint, func
from sqlmodel import Field, Session, SQLModel, col, select

from persistence.tables import UTCDateTime


class InboxMessage(SQLModel, table=True):
    __tablename__ = "inbox_messages"
    __table_args__ = (UniqueConstraint("case_no", "kind", "item_code", "round"),)

    id: int | None = Field(default=None, primary_key=True)
    owner: str = Field(index=True, max_length=128)
    case_no: str = Field(max_length=40)
    kind: str = Field(max_length=32)
    item_code: str = Field(default="", max_length=64)
    round: int = Field(default=0, sa_type=BigInteger)
    """The item's submission round; for licence_expiring YYYYMMDD * 1000 + lead days, beyond 32 bits."""
    title_zh: str
    title_en: str
    body_zh: str
    body_en: str
    created_at: datetime = Field(index=True, sa_type=UTCDateTime)
    read_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class OutgoingMessage(SQLModel, table=True):
    """What was sent to a gateway (or, with the development transport, would have been): one row per message
    and channel, never the phone number or address."""

    __tablename__ = "outgoing_messages"

    key: str = Field(primary_key=True, max_length=200)
    """The inbox message's business key plus the channel; a real gateway gets it as its dedup key."""
    owner: str = Field(index=True, max_length=128)
    case_no: str = Field(index=True, max_length=40)
    channel: str = Field(max_length=8)
    text: str
    created_at: datetime = Field(sa_type=UTCDateTime)


def message_key(*, case_no: str, kind: str, item_code: str, round: int) -> str:
    return f"{case_no}:{kind}:{item_code or '-'}:{round}"


def inbox_keys(session: Session, *, case_no: str) -> set[tuple[str, str, int]]:
    """The (kind, item_code, round) of every message the case has in the inbox: one query for a whole state."""
    query = select(InboxMessage.kind, InboxMessage.item_code, InboxMessage.round).where(InboxMessage.case_no == case_no)
    return {(kind, item_code, round_) for kind, item_code, round_ in session.exec(query).all()}


def add_inbox_message(
    session: Session,
    *,
    owner: str,
    case_no: str,
    kind: str,
    item_code: str,
    round: int,
    title: tuple[str, str],
    body: tuple[str, str],
    now: datetime,
    held: set[tuple[str, str, int]] | None = None,
) -> bool:
    """Adds the message unless it is already there. Returns whether it was added.

    `held`: the case's keys as `inbox_keys` read them in this transaction, when the caller has them (the projection
    adds several of a case's messages in one write): then it is the one looked in, and updated, instead of a query
    per message."""
    if held is None:
        held = {(kind, item_code, round)} if _in_inbox(session, case_no, kind, item_code, round) else set()
    if (kind, item_code, round) in held:
        return False
    held.add((kind, item_code, round))
    session.add(
        InboxMessage(
            owner=owner,
            case_no=case_no,
            kind=kind,
            item_code=item_code,
            round=round,
            title_zh=title[0],
            title_en=title[1],
            body_zh=body[0],
            body_en=body[1],
            created_at=now,
        )
    )
    return True


def _in_inbox(session: Session, case_no: str, kind: str, item_code: str, round: int) -> bool:
    query = select(InboxMessage.id).where(
        InboxMessage.case_no == case_no,
        InboxMessage.kind == kind,
        InboxMessage.item_code == item_code,
        InboxMessage.round == round,
    )
    return session.exec(query).first() is not None


def list_inbox(session: Session, *, owner: str, limit: int = 100) -> tuple[list[InboxMessage], int]:
    """The owner's messages, newest first, and how many of all their messages are unread."""
    query = (
        select(InboxMessage)
        .where(InboxMessage.owner == owner)
        .order_by(col(InboxMessage.created_at).desc(), col(InboxMessage.id).desc())
        .limit(limit)
    )
    unread = session.exec(
        select(func.count())
        .select_from(InboxMessage)
        .where(InboxMessage.owner == owner, col(InboxMessage.read_at).is_(None))
    ).one()
    return list(session.exec(query).all()), int(unread)


def mark_read(session: Session, *, owner: str, message_id: int, now: datetime) -> InboxMessage | None:
    """Marks the owner's message read (again is harmless); another owner's message is None, like a missing one."""
    message = session.get(InboxMessage, message_id)
    if message is None or message.owner != owner:
        return None
    if message.read_at is None:
        message.read_at = now
        session.add(message)
    return message


def was_sent(session: Session, *, key: str) -> bool:
    return session.get(OutgoingMessage, key) is not None


def record_outgoing(
    session: Session, *, key: str, owner: str, case_no: str, channel: str, text: str, now: datetime
) -> bool:
    """What was sent on a channel (the development transport's "send"): one row per key. Returns whether
    it was new."""
    if session.get(OutgoingMessage, key) is not None:
        return False
    session.add(OutgoingMessage(key=key, owner=owner, case_no=case_no, channel=channel, text=text, created_at=now))
    return True


def list_outgoing(session: Session, *, case_no: str) -> list[OutgoingMessage]:
    query = select(OutgoingMessage).where(OutgoingMessage.case_no == case_no).order_by(col(OutgoingMessage.created_at))
    return list(session.exec(query).all())
