"""好差评: the citizen's rating of a finished case, overall and per department that handled an item.

One row per (case, department); the overall rating is the row with department "" so that leaders'
satisfaction figures come from one table. Keyword-only functions; callers own the session and commit.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index
from sqlmodel import Field, Session, SQLModel, col, select

from persistence.days import shanghai_day
from persistence.tables import UTCDateTime

OVERALL = ""


class RatingRecord(SQLModel, table=True):
    __tablename__ = "ratings"

    case_no: str = Field(primary_key=True, max_length=40)
    department: str = Field(primary_key=True, max_length=64)
    """The department rated, or "" for the case as a whole."""
    thing: str = Field(index=True, max_length=64)
    owner: str = Field(index=True, max_length=128)
    score: int
    comment: str = ""
    created_at: datetime = Field(index=True, sa_type=UTCDateTime)


# The good-review rate per week counts overall ratings (department "") by thing, Shanghai day and score.
Index(
    "ix_ratings_by_day",
    RatingRecord.department,
    RatingRecord.thing,
    shanghai_day(RatingRecord.created_at),
    RatingRecord.score,  # type: ignore[arg-type]
)


def get_rating(session: Session, *, case_no: str) -> list[RatingRecord]:
    query = select(RatingRecord).where(RatingRecord.case_no == case_no).order_by(col(RatingRecord.department))
    return list(session.exec(query).all())


def add_rating(
    session: Session,
    *,
    case_no: str,
    thing: str,
    owner: str,
    scores: dict[str, tuple[int, str]],
    now: datetime,
) -> list[RatingRecord]:
    """Adds the rating rows (`scores`: department or OVERALL -> (score, comment)) and flushes them, so a
    concurrent second rating of the same case fails here on the primary key rather than at commit."""
    records = [
        RatingRecord(
            case_no=case_no,
            department=department,
            thing=thing,
            owner=owner,
            score=score,
            comment=comment,
            created_at=now,
        )
        for department, (score, comment) in scores.items()
    ]
    session.add_all(records)
    session.flush()
    return records
