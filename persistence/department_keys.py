"""The callback keys departments sign their results with: sealed (encrypted) at rest, never in clear.

A key is current while `expires_at` is empty; rotating gives the old one an `expires_at` in the future, so
both verify during the overlap while the department switches over.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, Session, SQLModel, col, select

from persistence.tables import UTCDateTime


class DepartmentKey(SQLModel, table=True):
    __tablename__ = "department_keys"

    key_id: str = Field(primary_key=True, max_length=40)
    """Public: the department sends it as X-Onething-Key-Id so we know which key signed."""
    department: str = Field(index=True, max_length=64)
    sealed: str = Field(max_length=400)
    """The key, encrypted with the platform's key-encryption key (core.signing.seal)."""
    created_at: datetime = Field(sa_type=UTCDateTime)
    expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


def add_key(session: Session, *, key_id: str, department: str, sealed: str, created_at: datetime) -> None:
    session.add(DepartmentKey(key_id=key_id, department=department, sealed=sealed, created_at=created_at))


def keys_of(session: Session, *, department: str) -> list[DepartmentKey]:
    """All of a department's keys, newest first (expired ones too: `list` shows when they stopped)."""
    statement = (
        select(DepartmentKey)
        .where(DepartmentKey.department == department)
        .order_by(col(DepartmentKey.created_at).desc(), col(DepartmentKey.key_id))
    )
    return list(session.exec(statement))


def key_by_id(session: Session, *, department: str, key_id: str) -> DepartmentKey | None:
    key = session.get(DepartmentKey, key_id)
    return key if key is not None and key.department == department else None


def expire_current(session: Session, *, department: str, at: datetime) -> int:
    """Every current key of the department stops verifying at `at`; how many there were."""
    current = session.exec(
        select(DepartmentKey).where(DepartmentKey.department == department, col(DepartmentKey.expires_at).is_(None))
    ).all()
    for key in current:
        key.expires_at = at
        session.add(key)
    return len(current)
