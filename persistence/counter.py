"""Counter visits (一窗受理): a window clerk serving one citizen in person, from the identity check on.

A visit is the record of who was served, by whom, where, and whether and when the citizen consented to the
clerk acting with their data (the consent text stored as shown). It holds opaque account ids only: the ID
number and name the clerk typed are compared with the register and never stored here.

Keyword-only functions; callers own the session and commit.
"""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import JSON, Column
from sqlmodel import Field, Session, SQLModel

from persistence.tables import UTCDateTime


def new_visit_id() -> str:
    return secrets.token_hex(12)


class CounterVisit(SQLModel, table=True):
    __tablename__ = "counter_visits"

    id: str = Field(default_factory=new_visit_id, primary_key=True, max_length=32)
    """Random: it appears in the counter page's URLs, which must reveal nothing of the citizen."""
    clerk: str = Field(index=True, max_length=128)
    """The window clerk's opaque account id."""
    service_point: str = Field(max_length=64)
    citizen: str = Field(index=True, max_length=128)
    """The verified citizen's account id: the owner of every case filed during the visit."""
    verified_at: datetime = Field(sa_type=UTCDateTime)
    consent_text: str | None = Field(default=None, max_length=1000)
    """The consent text exactly as the citizen was shown it; None until they consented."""
    consented_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class CounterCase(SQLModel, table=True):
    """A case filed at the counter: the visit (and so the consent) it was filed under, and what the receipt
    promises, known at acceptance (the case's items are projected only once its workflow runs)."""

    __tablename__ = "counter_cases"

    case_no: str = Field(primary_key=True, max_length=40)
    visit: str = Field(foreign_key="counter_visits.id", index=True, max_length=32)
    included: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))


def add_visit(session: Session, visit: CounterVisit) -> CounterVisit:
    session.add(visit)
    session.flush()
    return visit


def get_visit(session: Session, *, visit_id: str) -> CounterVisit | None:
    return session.get(CounterVisit, visit_id)


def record_consent(session: Session, *, visit: CounterVisit, text: str, now: datetime) -> CounterVisit:
    visit.consent_text = text
    visit.consented_at = now
    session.add(visit)
    session.flush()
    return visit


def record_counter_case(session: Session, *, case_no: str, visit: CounterVisit, included: list[str]) -> None:
    if session.get(CounterCase, case_no) is None:  # a repeated request files the same case once
        session.add(CounterCase(case_no=case_no, visit=visit.id, included=included))
        session.flush()


def get_counter_case(session: Session, *, case_no: str) -> CounterCase | None:
    return session.get(CounterCase, case_no)
