"""The moment before which a person's sessions are ended: set by signing out, or by an operator.

Our sessions are signed tokens (core/auth.py), checked without the database, so what ends one before it expires
is stored beside them: one row per account, the latest moment at which its sessions were ended. A session issued
at or before that moment is refused (services/ended_sessions.py). One row per account, not one per token: signing
out ends the person's sessions on every device, and the table holds at most one row per account that ever signed
out. Rows are never needed after the longest session has expired, and are small; none is deleted.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Float, Table, case
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Field, Session, SQLModel

from core.identity import MAX_SUBJECT


class EndedSession(SQLModel, table=True):
    __tablename__ = "ended_sessions"

    subject: str = Field(primary_key=True, max_length=MAX_SUBJECT)
    """The account id of core.auth.Principal (opaque: never a name or an ID number)."""
    ended_at: float = Field(sa_type=Float)
    """Unix seconds (the unit of a token's `iat`): sessions issued at or before it are ended."""


ENDED: Table = EndedSession.__table__  # type: ignore[attr-defined]  # SQLModel declares it only at runtime


def sessions_ended_at(session: Session, *, subject: str) -> float | None:
    """When the account's sessions were last ended; None if they never were."""
    found = session.get(EndedSession, subject)
    return found.ended_at if found is not None else None


def end_sessions(session: Session, *, subject: str, at: float) -> None:
    """Ends every session of the account issued at or before `at` (a later moment already stored stays)."""
    insert: Any = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    upsert = (
        insert(ENDED)
        .values(subject=subject, ended_at=at)
        .on_conflict_do_update(
            index_elements=[ENDED.c.subject],
            set_={"ended_at": case((ENDED.c.ended_at > at, ENDED.c.ended_at), else_=at)},
        )
    )
    session.execute(upsert)
