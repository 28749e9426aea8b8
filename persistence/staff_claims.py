"""Staff claims in the standard handling module: who took an item, so two clerks never decide it twice.

A claim belongs to one submission round: after a correction (补正) the resubmitted item is back in the
queue unclaimed, since whoever looked at the first round may not be the one to judge the second.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, Session, SQLModel, col, select

from persistence.tables import UTCDateTime


class StaffClaim(SQLModel, table=True):
    __tablename__ = "staff_claims"

    case_no: str = Field(primary_key=True, max_length=40)
    item_code: str = Field(primary_key=True, max_length=64)
    round: int = Field(primary_key=True)
    staff: str = Field(max_length=128)
    """The clerk's opaque account id."""
    claimed_at: datetime = Field(sa_type=UTCDateTime)


def claim_item(session: Session, *, case_no: str, item_code: str, round: int, staff: str, at: datetime) -> StaffClaim:
    """The round's claim: a new one for `staff`, or the one that already exists (maybe someone else's)."""
    existing = session.get(StaffClaim, (case_no, item_code, round), with_for_update=True)
    if existing is not None:
        return existing
    claim = StaffClaim(case_no=case_no, item_code=item_code, round=round, staff=staff, claimed_at=at)
    session.add(claim)
    session.flush()
    return claim


def claims_for(session: Session, *, case_nos: list[str]) -> dict[tuple[str, str, int], StaffClaim]:
    if not case_nos:
        return {}
    query = select(StaffClaim).where(col(StaffClaim.case_no).in_(case_nos))
    return {(c.case_no, c.item_code, c.round): c for c in session.exec(query).all()}


def get_claim(session: Session, *, case_no: str, item_code: str, round: int) -> StaffClaim | None:
    return session.get(StaffClaim, (case_no, item_code, round))
