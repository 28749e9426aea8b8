"""Audit of personal data (PIPL): who other than the citizen read their case's data, when, and why.

Every service that shows a citizen's form, materials, register data, licences or case results to staff,
supervisors, leaders or agents calls `record_personal_data_read` in the same transaction as the read, so a
read that was served is a read on the record. The citizen's own reads are not recorded: the log answers
"who else looked", and the citizen's own list would otherwise drown in their own visits.

What the citizen is shown of a reader is the role, the department and the opaque account id. Not the
reader's name: staff names are personal data of the staff, and the account id is enough for the
citizen to ask (or complain) about one reader precisely, while supervisors can map it to a person.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum

from pydantic import BaseModel
from sqlmodel import Session

from core.auth import Principal
from core.calendar import TZ
from persistence.data_access import PersonalDataRead, ReadFilter, insert_read, reads_of_owner, search_reads
from services.errors import InvalidError

CITIZEN_LIST_LIMIT = 500


class DataCategory(StrEnum):
    """What was read; a category, never the value."""

    FORM = "form"
    MATERIALS = "materials"
    CASE_DETAIL = "case_detail"
    """The case's items with their results (certificate numbers and the like) and reasons."""
    REGISTER = "register"
    LICENCES = "licences"


class Purpose(StrEnum):
    HANDLING = "handling"
    """A department's staff deciding an item of the case."""
    SUPERVISION = "supervision"
    AGENT = "agent"
    """Someone the citizen authorised (代办) acting on the case."""
    COUNTER = "counter"
    """A window clerk serving the citizen in person, with their consent."""


class DataAccessEntry(BaseModel):
    id: int
    at: datetime
    reader: str
    """The reader's opaque account id, not their name."""
    role: str
    department: str | None
    case_no: str
    what: str
    purpose: str


class MyDataAccess(BaseModel):
    entries: list[DataAccessEntry]
    """Newest first; the latest 500."""


class DataAccessPage(BaseModel):
    entries: list[DataAccessEntry]
    total: int
    limit: int
    offset: int


def record_personal_data_read(
    session: Session,
    *,
    reader: str,
    role: str,
    case_no: str,
    purpose: str,
    now: datetime,
    what: str = DataCategory.FORM,
    department: str | None = None,
) -> None:
    """Records one read of `case_no`'s personal data by `reader` (an opaque account id) in role `role`.

    Call it in the request's transaction, before the data leaves the service, once per view."""
    insert_read(
        session,
        at=now,
        reader=reader,
        role=str(role),
        department=department,
        case_no=case_no,
        what=str(what),
        purpose=str(purpose),
    )


def record_read(
    session: Session, reader: Principal, *, case_no: str, what: DataCategory, purpose: Purpose, now: datetime
) -> None:
    """`record_personal_data_read` for a signed-in official."""
    record_personal_data_read(
        session,
        reader=reader.subject,
        role=reader.role.value,
        department=reader.department,
        case_no=case_no,
        what=what,
        purpose=purpose,
        now=now,
    )


def my_data_access(session: Session, citizen: Principal) -> MyDataAccess:
    """Reads by others of the cases `citizen` applied for; another citizen's cases never show."""
    rows = reads_of_owner(session, owner=citizen.subject, limit=CITIZEN_LIST_LIMIT)
    return MyDataAccess(entries=[_entry(row) for row in rows])


def search(
    session: Session,
    *,
    case_no: str | None = None,
    reader: str | None = None,
    since: date | None = None,
    until: date | None = None,
    limit: int = 50,
    offset: int = 0,
) -> DataAccessPage:
    """Supervisors' search: by case, by reader, by Shanghai days from `since` to `until` (both included)."""
    if since is not None and until is not None and since > until:
        raise InvalidError(
            "since is after until; give since on or before until (dates as YYYY-MM-DD).",
            [{"field": "since", "message": "must be on or before until"}],
        )
    where = ReadFilter(
        case_no=case_no or None,
        reader=reader or None,
        since=_day_start(since) if since else None,
        until=_day_start(until + timedelta(days=1)) if until else None,
    )
    rows, total = search_reads(session, where=where, limit=limit, offset=offset)
    return DataAccessPage(entries=[_entry(row) for row in rows], total=total, limit=limit, offset=offset)


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=TZ).astimezone(UTC)


def _entry(row: PersonalDataRead) -> DataAccessEntry:
    assert row.id is not None
    return DataAccessEntry(
        id=row.id,
        at=row.at,
        reader=row.reader,
        role=row.role,
        department=row.department,
        case_no=row.case_no,
        what=row.what,
        purpose=row.purpose,
    )
