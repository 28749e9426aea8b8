"""督办: the log of supervisors pushing a department on a case's item, with who and when."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, Session, SQLModel, col, func, select

from persistence.tables import UTCDateTime, simulated_cases


class EscalationRecord(SQLModel, table=True):
    __tablename__ = "escalations"

    id: int | None = Field(default=None, primary_key=True)
    case_no: str = Field(index=True, max_length=40)
    item_code: str = Field(max_length=64)
    department: str = Field(index=True, max_length=64)
    supervisor: str = Field(max_length=128)
    """The supervisor's opaque account id."""
    note: str = Field(default="", max_length=200)
    at: datetime = Field(index=True, sa_type=UTCDateTime)


def record_escalation(
    session: Session, *, case_no: str, item_code: str, department: str, supervisor: str, note: str, at: datetime
) -> EscalationRecord:
    record = EscalationRecord(
        case_no=case_no, item_code=item_code, department=department, supervisor=supervisor, note=note, at=at
    )
    session.add(record)
    session.flush()
    return record


def case_escalations(session: Session, *, case_no: str) -> list[EscalationRecord]:
    query = select(EscalationRecord).where(EscalationRecord.case_no == case_no).order_by(col(EscalationRecord.at))
    return list(session.exec(query).all())


def escalations_by_department(
    session: Session, *, since: datetime, until: datetime, with_simulated: bool = False
) -> dict[str, int]:
    """督办 per department in [since, until); those about simulated cases only `with_simulated`."""
    query = (
        select(EscalationRecord.department, func.count())
        .where(col(EscalationRecord.at) >= since, col(EscalationRecord.at) < until)
        .where(*([] if with_simulated else [col(EscalationRecord.case_no).not_in(simulated_cases())]))
        .group_by(EscalationRecord.department)
    )
    return dict(session.exec(query).all())
