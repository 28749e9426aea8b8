"""The rectification (整改) projection: a department's answer to a bad rating, for pages and supervisors.

Written by the rectification workflow's local activity; a state applies only if it supersedes the stored one
(persistence/write_order.py), like the case projection, so retries, replays, lost workflow tasks and reordering
never move a row backwards or leave it behind.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, Column
from sqlmodel import Field, Session, SQLModel, col, select

from persistence.tables import UTCDateTime, simulated_cases
from persistence.write_order import supersedes
from workflows.contracts import FINISHED_RECTIFICATION, RectificationState


class RectificationRecord(SQLModel, table=True):
    __tablename__ = "rectifications"

    id: str = Field(primary_key=True, max_length=160)
    """The workflow id: rectification-<case number>-<department>."""
    case_no: str = Field(index=True, max_length=40)
    thing: str = Field(max_length=64)
    department: str = Field(index=True, max_length=64)
    owner: str = Field(index=True, max_length=128)
    score: int
    comment: str = ""
    status: str = Field(index=True, max_length=24)
    light: str = Field(index=True, max_length=8)
    started_at: datetime = Field(sa_type=UTCDateTime)
    due_at: datetime | None = Field(default=None, index=True, sa_type=UTCDateTime)
    overdue_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    replies: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON))
    contest_note: str | None = None
    citizen_note: str | None = None
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    seq: int = 0
    history_length: int = 0
    """With `seq`, orders the workflow's writes (persistence/write_order.py)."""
    updated_at: datetime = Field(sa_type=UTCDateTime)


def project_rectification(session: Session, *, state: RectificationState, now: datetime) -> bool:
    """Upserts the rectification if `state` is newer than the stored one. Returns whether it applied."""
    record = session.get(RectificationRecord, state.id, with_for_update=True)
    if record is not None and not supersedes(
        seq=state.seq,
        history_length=state.history_length,
        stored_seq=record.seq,
        stored_history_length=record.history_length,
    ):
        return False
    values = state.model_dump(mode="python", exclude={"id", "replies"})
    values["status"] = state.status.value
    values["light"] = state.light.value
    values["replies"] = [reply.model_dump(mode="json") for reply in state.replies]
    values["updated_at"] = now
    if record is None:
        session.add(RectificationRecord(id=state.id, **values))
    else:
        record.sqlmodel_update(values)
        session.add(record)
    return True


def get_rectification(session: Session, *, rectification_id: str) -> RectificationRecord | None:
    return session.get(RectificationRecord, rectification_id)


def case_rectifications(session: Session, *, case_no: str) -> list[RectificationRecord]:
    query = select(RectificationRecord).where(RectificationRecord.case_no == case_no)
    return list(session.exec(query.order_by(col(RectificationRecord.department))).all())


def department_rectifications(session: Session, *, department: str, limit: int = 200) -> list[RectificationRecord]:
    """A department's rectifications, the ones with the nearest deadline first."""
    query = (
        select(RectificationRecord)
        .where(RectificationRecord.department == department)
        .order_by(col(RectificationRecord.closed_at).is_not(None), col(RectificationRecord.due_at))
        .limit(limit)
    )
    return list(session.exec(query).all())


@dataclass(frozen=True)
class RectificationFigures:
    """A department's rectifications opened in a period: how many are open or late, how often it replied in time."""

    department: str
    opened: int
    open: int
    overdue: int
    replied: int
    replied_on_time: int
    escalated: int

    @property
    def on_time_rate(self) -> float | None:
        return self.replied_on_time / self.replied if self.replied else None


OPEN_STATUSES = ("open", "contested")


def rectification_figures(
    session: Session, *, since: datetime, until: datetime, now: datetime, with_simulated: bool = False
) -> list[RectificationFigures]:
    """Per department, for rectifications opened in [since, until). Bad reviews are few, so rows are read
    and judged here: a reply is on time when the first one came by the deadline. Those of simulated cases
    (`onething simulate`) only `with_simulated`."""
    query = select(RectificationRecord).where(
        col(RectificationRecord.started_at) >= since, col(RectificationRecord.started_at) < until
    )
    if not with_simulated:
        query = query.where(col(RectificationRecord.case_no).not_in(simulated_cases()))
    tallies: dict[str, list[int]] = {}
    for record in session.exec(query).all():
        tally = tallies.setdefault(record.department, [0, 0, 0, 0, 0, 0])
        is_open = record.status in OPEN_STATUSES
        late = record.light == "red" or (record.due_at is not None and record.due_at <= now)
        first_reply = _first_reply_at(record)
        tally[0] += 1
        tally[1] += is_open
        tally[2] += is_open and late
        tally[3] += first_reply is not None
        tally[4] += first_reply is not None and record.due_at is not None and first_reply <= record.due_at
        tally[5] += record.status == "escalated"
    return [RectificationFigures(department, *tally) for department, tally in sorted(tallies.items())]


def open_rectifications(session: Session, *, limit: int = 200) -> list[RectificationRecord]:
    """Rectifications waiting for their department, the nearest deadline first."""
    query = (
        select(RectificationRecord)
        .where(col(RectificationRecord.status).in_(OPEN_STATUSES))
        .order_by(col(RectificationRecord.due_at))
        .limit(limit)
    )
    return list(session.exec(query).all())


def rectification_seq(session: Session, *, rectification_id: str) -> int | None:
    """The seq of the rectification's row; None when there is no row."""
    return session.exec(select(RectificationRecord.seq).where(RectificationRecord.id == rectification_id)).first()


def unfinished_rectification_ids(session: Session, *, after: str | None, limit: int) -> list[str]:
    """The ids of the rectifications the projection shows unfinished (open, replied or contested), in order, `limit`
    after `after` (a page of a walk)."""
    query = select(RectificationRecord.id).where(
        col(RectificationRecord.status).not_in([status.value for status in FINISHED_RECTIFICATION])
    )
    if after is not None:
        query = query.where(col(RectificationRecord.id) > after)
    return list(session.exec(query.order_by(col(RectificationRecord.id)).limit(limit)).all())


def _first_reply_at(record: RectificationRecord) -> datetime | None:
    if not record.replies or not record.replies[0].get("at"):
        return None
    at = datetime.fromisoformat(record.replies[0]["at"])
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)
