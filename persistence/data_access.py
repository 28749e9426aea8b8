"""The log of reads of a citizen's personal data by someone other than the citizen (PIPL): append-only.

A row names the reader by opaque account id, role and department, the case by number, what was read by
category and why by purpose; never a name, ID number or any value that was read. The module offers
insert and query only: nothing here updates or deletes a row, so a mistaken read stays on the record.

On PostgreSQL the database holds the rule too, not only this module. The Alembic revision that creates
the table adds (the application's role is assumed to own no other right on it than these):

    REVOKE UPDATE, DELETE, TRUNCATE ON personal_data_reads FROM PUBLIC;
    CREATE FUNCTION personal_data_reads_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION 'personal_data_reads is append-only';
    END $$;
    CREATE TRIGGER personal_data_reads_append_only
        BEFORE UPDATE OR DELETE ON personal_data_reads
        FOR EACH ROW EXECUTE FUNCTION personal_data_reads_append_only();
    CREATE TRIGGER personal_data_reads_no_truncate
        BEFORE TRUNCATE ON personal_data_reads
        FOR EACH STATEMENT EXECUTE FUNCTION personal_data_reads_append_only();

(see docs/privacy.md: retention ends with a partition drop by the operator, never a DELETE from the app.)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Field, Session, SQLModel, col, func, or_, select

from persistence.counter import CounterVisit
from persistence.tables import CaseRecord, UTCDateTime


class PersonalDataRead(SQLModel, table=True):
    __tablename__ = "personal_data_reads"

    id: int | None = Field(default=None, primary_key=True)
    """Autoincrement: the order rows were written in, and a gap shows a row that went missing."""
    at: datetime = Field(index=True, sa_type=UTCDateTime)
    reader: str = Field(index=True, max_length=128)
    """The reader's opaque account id."""
    role: str = Field(max_length=24)
    department: str | None = Field(default=None, max_length=64)
    case_no: str = Field(index=True, max_length=40)
    what: str = Field(max_length=32)
    """A category (`form`, `materials`, `case_detail`), never the value read."""
    purpose: str = Field(max_length=32)


@dataclass(frozen=True)
class ReadFilter:
    case_no: str | None = None
    reader: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    """Excluded."""


def insert_read(
    session: Session,
    *,
    at: datetime,
    reader: str,
    role: str,
    department: str | None,
    case_no: str,
    what: str,
    purpose: str,
) -> PersonalDataRead:
    row = PersonalDataRead(
        at=at, reader=reader, role=role, department=department, case_no=case_no, what=what, purpose=purpose
    )
    session.add(row)
    session.flush()
    return row


def reads_of_owner(session: Session, *, owner: str, limit: int, offset: int = 0) -> list[PersonalDataRead]:
    """Reads of any case `owner` applied for, and of their counter visits (read before a case existed), newest
    first."""
    owned = select(CaseRecord.case_no).where(CaseRecord.owner == owner)
    visits = select(CounterVisit.id).where(CounterVisit.citizen == owner)
    query = (
        select(PersonalDataRead)
        .where(or_(col(PersonalDataRead.case_no).in_(owned), col(PersonalDataRead.case_no).in_(visits)))
        .order_by(col(PersonalDataRead.id).desc())
        .offset(offset)
        .limit(limit)
    )
    return list(session.exec(query).all())


def search_reads(
    session: Session, *, where: ReadFilter, limit: int, offset: int = 0
) -> tuple[list[PersonalDataRead], int]:
    """One page of the rows matching `where`, newest first, and how many match in all."""
    conditions = []
    if where.case_no is not None:
        conditions.append(col(PersonalDataRead.case_no) == where.case_no)
    if where.reader is not None:
        conditions.append(col(PersonalDataRead.reader) == where.reader)
    if where.since is not None:
        conditions.append(col(PersonalDataRead.at) >= where.since)
    if where.until is not None:
        conditions.append(col(PersonalDataRead.at) < where.until)
    rows = session.exec(
        select(PersonalDataRead)
        .where(*conditions)
        .order_by(col(PersonalDataRead.id).desc())
        .offset(offset)
        .limit(limit)
    ).all()
    total = session.exec(select(func.count()).select_from(PersonalDataRead).where(*conditions)).one()
    return list(rows), total
