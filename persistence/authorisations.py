"""Authorisations: a citizen's 代办 (for one case or one one-thing, for a period) and an enterprise's 法人授权
(an employee, for named one-things). Revoking keeps the row: who could act when stays answerable.

Keyword-only functions; callers own the session and commit. Subjects are opaque account ids.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, Column
from sqlmodel import Field, Session, SQLModel, col, or_, select

from persistence.tables import UTCDateTime


class AuthorityKind(StrEnum):
    PERSONAL = "personal"
    """代办: a resident authorises another person."""
    LEGAL_PERSON = "legal_person"
    """法人授权: an enterprise's legal representative authorises an employee."""


def new_authorisation_id() -> str:
    return secrets.token_hex(8)


class Authorisation(SQLModel, table=True):
    __tablename__ = "authorisations"

    id: str = Field(default_factory=new_authorisation_id, primary_key=True, max_length=32)
    kind: str = Field(max_length=16)
    principal: str = Field(index=True, max_length=128)
    """Who is acted for: a resident's or an enterprise's account."""
    agent: str = Field(index=True, max_length=128)
    """Who may act: a resident's account."""
    things: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    """The one-things covered; empty when the authority is for one case."""
    case_no: str | None = Field(default=None, max_length=40)
    """The one case covered, if the authority is for a case."""
    valid_from: datetime = Field(sa_type=UTCDateTime)
    valid_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    """None: until revoked (法人授权 may be open-ended; 代办 always has an end)."""
    created_at: datetime = Field(sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


def add_authorisation(session: Session, authorisation: Authorisation) -> Authorisation:
    session.add(authorisation)
    session.flush()
    return authorisation


def get_authorisation(session: Session, *, authorisation_id: str) -> Authorisation | None:
    return session.get(Authorisation, authorisation_id)


def list_authorisations(session: Session, *, subject: str) -> list[Authorisation]:
    """Those `subject` granted and those granted to them, newest first."""
    query = (
        select(Authorisation)
        .where(or_(Authorisation.principal == subject, Authorisation.agent == subject))
        .order_by(col(Authorisation.created_at).desc(), col(Authorisation.id))
    )
    return list(session.exec(query).all())


def active_between(session: Session, *, principal: str, agent: str, now: datetime) -> list[Authorisation]:
    """The agent's authorisations from the principal in force at `now` (not revoked, within the period)."""
    query = select(Authorisation).where(
        Authorisation.principal == principal,
        Authorisation.agent == agent,
        col(Authorisation.revoked_at).is_(None),
        col(Authorisation.valid_from) <= now,
    )
    return [a for a in session.exec(query).all() if a.valid_until is None or now < a.valid_until]


def any_between(session: Session, *, principal: str, agent: str) -> bool:
    """Whether the principal ever authorised the agent (to tell "expired or revoked" from "never")."""
    query = select(Authorisation.id).where(Authorisation.principal == principal, Authorisation.agent == agent)
    return session.exec(query).first() is not None


def revoke(session: Session, *, authorisation: Authorisation, now: datetime) -> Authorisation:
    if authorisation.revoked_at is None:
        authorisation.revoked_at = now
        session.add(authorisation)
    return authorisation
