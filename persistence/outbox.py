"""The transactional outbox: commands the API accepted that must still reach the case engine (Temporal).

A row is written in the same transaction as what it promises (an accepted application), so either both exist
or neither does; a starter (services/outbox.py) delivers it and deletes it. Several processes may run starters:
a row is taken with a lease (a conditional UPDATE that only one of them wins), so at most one process works on
it at a time, and the commands themselves are idempotent (the workflow id is the case number), so a lease that
expired while its holder was still delivering costs at most one repeated, harmless call.

The payload is the command's JSON, which holds the application form; the row is deleted once delivered, so
personal data stays here no longer than the case engine is unreachable.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Column, Text, delete, func, or_, update
from sqlalchemy.engine import CursorResult
from sqlmodel import Field, Session, SQLModel, col, select

from persistence.tables import UTCDateTime


class OutboxCommand(SQLModel, table=True):
    __tablename__ = "outbox"

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=32)
    """What to do with the payload, e.g. `start` (services/outbox.py names them)."""
    case_no: str = Field(index=True, max_length=40)
    payload: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(sa_type=UTCDateTime)
    attempts: int = 0
    due_at: datetime = Field(index=True, sa_type=UTCDateTime)
    """Not delivered before this instant: the next attempt after a failure, with backoff."""
    leased_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    """A starter is delivering it until then; None when nobody is."""
    last_error: str | None = Field(default=None, max_length=120)
    """The last failure's kind (an exception class name, never its text: that may name a person)."""


def add_command(
    session: Session,
    *,
    kind: str,
    case_no: str,
    payload: str,
    now: datetime,
    due_at: datetime,
    leased_until: datetime | None = None,
) -> OutboxCommand:
    """Adds a command to the caller's transaction; it commits with whatever it promises. With `leased_until`, it
    is taken already by the caller, as `claim_for_case` would have taken it, without another transaction."""
    command = OutboxCommand(
        kind=kind, case_no=case_no, payload=payload, created_at=now, due_at=due_at, leased_until=leased_until
    )
    session.add(command)
    return command


def pending_for_case(session: Session, *, case_no: str, kind: str) -> bool:
    statement = select(OutboxCommand.id).where(OutboxCommand.case_no == case_no, OutboxCommand.kind == kind)
    return session.exec(statement.limit(1)).first() is not None


def claim_due(session: Session, *, now: datetime, lease: timedelta, limit: int) -> list[OutboxCommand]:
    """Takes up to `limit` rows that are due and not leased by another process; the caller commits the lease."""
    statement = (
        select(OutboxCommand)
        .where(col(OutboxCommand.due_at) <= now, _free(now))
        .order_by(col(OutboxCommand.due_at), col(OutboxCommand.id))
        .limit(limit)
    )
    return [row for row in session.exec(statement).all() if _take(session, row, now=now, lease=lease)]


def claim_for_case(
    session: Session, *, case_no: str, kind: str, now: datetime, lease: timedelta
) -> list[OutboxCommand]:
    """The case's rows of this kind not leased by another process, due or not: its own request delivers them now."""
    statement = select(OutboxCommand).where(OutboxCommand.case_no == case_no, OutboxCommand.kind == kind, _free(now))
    return [row for row in session.exec(statement).all() if _take(session, row, now=now, lease=lease)]


def _free(now: datetime):  # type: ignore[no-untyped-def]
    return or_(col(OutboxCommand.leased_until).is_(None), col(OutboxCommand.leased_until) < now)


def _take(session: Session, row: OutboxCommand, *, now: datetime, lease: timedelta) -> bool:
    # Conditional on the lease being free still: of two processes that read the row at once, one updates it.
    taken = session.execute(
        update(OutboxCommand)
        .where(col(OutboxCommand.id) == row.id, _free(now))
        .values(leased_until=now + lease)
        .execution_options(synchronize_session=False)
    )
    return bool(cast(CursorResult[Any], taken).rowcount == 1)


def delivered(session: Session, *, command_id: int) -> None:
    session.execute(delete(OutboxCommand).where(col(OutboxCommand.id) == command_id))


def delivered_for_case(session: Session, *, case_no: str, kind: str) -> None:
    statement = delete(OutboxCommand).where(col(OutboxCommand.case_no) == case_no, col(OutboxCommand.kind) == kind)
    session.execute(statement)


def retry_later(session: Session, *, command_id: int, due_at: datetime, error: str) -> None:
    """Releases the lease and sets the next attempt."""
    session.execute(
        update(OutboxCommand)
        .where(col(OutboxCommand.id) == command_id)
        .values(attempts=OutboxCommand.attempts + 1, due_at=due_at, leased_until=None, last_error=error[:120])
        .execution_options(synchronize_session=False)
    )


def release(session: Session, *, command_ids: list[int]) -> None:
    """Gives rows back untried: their lease ends now, their due time and attempts stay."""
    if command_ids:
        statement = update(OutboxCommand).where(col(OutboxCommand.id).in_(command_ids)).values(leased_until=None)
        session.execute(statement.execution_options(synchronize_session=False))


def backlog(session: Session) -> int:
    """How many accepted commands still wait for the case engine."""
    return int(session.exec(select(func.count()).select_from(OutboxCommand)).one())
