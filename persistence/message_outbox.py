"""The queue of SMS and e-mail still to send: written with the inbox row in the projection's transaction.

A case's notices are derived from its state where the projection is written (activities/case_notices.py), so the
inbox row and one row here per channel commit together with the state that owes them, or not at all. One sender
per worker drains this table (activities/message_sender.py). Several workers are safe: a row is taken with
`FOR UPDATE SKIP LOCKED` on PostgreSQL (SQLite has a single writer and ignores it) plus a lease that only one
process wins, and every send is keyed (the transport sends a key once; a real gateway gets it as its dedup id).
A row is deleted once sent: what was sent stays in `outgoing_messages`. Keyword-only; callers commit.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Column, Text, delete, func, or_, update
from sqlmodel import Field, Session, SQLModel, col, select

from persistence.tables import UTCDateTime


class QueuedMessage(SQLModel, table=True):
    __tablename__ = "message_outbox"

    key: str = Field(primary_key=True, max_length=200)
    """The inbox message's business key plus the channel, as in `outgoing_messages`."""
    owner: str = Field(max_length=128)
    """The account id; the gateway looks up the phone number or address itself."""
    case_no: str = Field(index=True, max_length=40)
    channel: str = Field(max_length=8)
    text: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(sa_type=UTCDateTime)
    attempts: int = 0
    due_at: datetime = Field(index=True, sa_type=UTCDateTime)
    leased_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_error: str | None = Field(default=None, max_length=120)
    """The last failure's kind (an exception class name, never its text)."""


def queue_message(
    session: Session, *, key: str, owner: str, case_no: str, channel: str, text: str, now: datetime
) -> None:
    """Queues one channel's send in the caller's transaction, the one that adds the inbox row: a new inbox row is a
    new key, so nothing is looked up first (the primary key would refuse a second row, failing the transaction)."""
    session.add(
        QueuedMessage(key=key, owner=owner, case_no=case_no, channel=channel, text=text, created_at=now, due_at=now)
    )


def claim_due(session: Session, *, now: datetime, lease: timedelta, limit: int) -> list[QueuedMessage]:
    """Takes up to `limit` due rows no other sender holds, oldest first: a read, then, if anything is due, one
    UPDATE … RETURNING; the caller commits the lease. A row another sender leased between the inner SELECT and
    the UPDATE fails the UPDATE's own check."""
    due = (
        select(QueuedMessage.key)
        .where(col(QueuedMessage.due_at) <= now, _free(now))
        .order_by(col(QueuedMessage.due_at), col(QueuedMessage.key))
        .limit(limit)
    )
    # Read first, write only when something is due: an idle sender polls every half second, and on SQLite an
    # UPDATE takes the database's one write lock even when it matches nothing. A worker process stopped (SIGSTOP,
    # a paused VM) inside that write held the lock for as long as it stood still, and every API request that
    # writes waited on it (the fault suite's stalled-burst: the API's pool ran dry, answers past 10 s).
    if session.execute(due.limit(1)).first() is None:
        return []
    taken = session.execute(
        update(QueuedMessage)
        .where(col(QueuedMessage.key).in_(due.with_for_update(skip_locked=True)), _free(now))
        .values(leased_until=now + lease)
        .returning(QueuedMessage)
        .execution_options(synchronize_session=False)
    )
    return sorted(taken.scalars(), key=lambda row: (row.due_at, row.key))


def _free(now: datetime):  # type: ignore[no-untyped-def]
    return or_(col(QueuedMessage.leased_until).is_(None), col(QueuedMessage.leased_until) < now)


def sent(session: Session, *, keys: list[str]) -> None:
    if keys:
        session.execute(delete(QueuedMessage).where(col(QueuedMessage.key).in_(keys)))


def retry_later(session: Session, *, key: str, due_at: datetime, error: str) -> None:
    session.execute(
        update(QueuedMessage)
        .where(col(QueuedMessage.key) == key)
        .values(attempts=QueuedMessage.attempts + 1, due_at=due_at, leased_until=None, last_error=error[:120])
        .execution_options(synchronize_session=False)
    )


def queued(session: Session) -> int:
    """How many channel sends still wait."""
    return int(session.exec(select(func.count()).select_from(QueuedMessage)).one())
