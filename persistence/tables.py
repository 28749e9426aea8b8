"""The projection tables: a cache of Temporal history for fast reads and aggregates."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Generic, TypeVar

from sqlalchemy import JSON, Column, DateTime, Index, String, UniqueConstraint
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel, col, select
from sqlmodel.sql.expression import SelectOfScalar

from one_things.schema import IntegrationMode
from persistence.days import shanghai_day
from workflows.contracts import CaseStatus, Holder, ItemStatus, Light

E = TypeVar("E", bound=StrEnum)


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on every database; SQLite alone would hand back naive ones."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the projection; pass an aware UTC datetime")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None or value.tzinfo is not None:
            return value
        return value.replace(tzinfo=UTC)


class EnumText(TypeDecorator[E], Generic[E]):
    """A contract's enum stored as its plain text value and read back as the enum: one family of types from
    the workflow's state through the table to the API's views, with no loose strings in between.

    Text, not a database ENUM type: a new status in a later release needs no ALTER TYPE on PostgreSQL."""

    impl = String
    cache_ok = True

    def __init__(self, enum: type[E], length: int) -> None:
        super().__init__(length)
        self.enum = enum

    def process_bind_param(self, value: E | str | None, dialect: Dialect) -> str | None:
        return None if value is None else self.enum(value).value

    def process_result_value(self, value: str | None, dialect: Dialect) -> E | None:
        return None if value is None else self.enum(value)


class CaseRecord(SQLModel, table=True):
    __tablename__ = "cases"
    # The supervision board groups running cases by thing and light, and ranges over finish dates.
    __table_args__ = (
        Index("ix_cases_status_thing_light", "status", "thing", "light"),
        Index("ix_cases_finished_thing", "finished_at", "thing"),
    )

    case_no: str = Field(primary_key=True, max_length=40)
    thing: str = Field(index=True, max_length=64)
    version: int
    owner: str = Field(index=True, max_length=128)
    acted_by: str | None = Field(default=None, index=True, max_length=128)
    """The agent (代办, 法人授权) who filed the case for the owner; None when the owner filed it."""
    district: str = Field(default="", index=True, max_length=30)
    """The applicant's hukou district at acceptance (e.g. 徐汇区): a supervision dimension, not an address."""
    channel: str = Field(default="bundle", max_length=12)
    """`bundle`, `counter`, or `individual` for one item applied for on its own (分别办理) by someone the bundle
    ruled out."""
    simulated: bool = Field(default=False)
    """Made by `onething simulate`, not by a citizen: left out of the leaders' figures and
    the board's totals unless they are asked for (docs/figures.md#simulated)."""
    status: CaseStatus = Field(index=True, sa_type=EnumText(CaseStatus, 24))
    accepted_at: datetime = Field(index=True, sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    promised_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    """The one notice's promise: acceptance plus the critical path of promised working days."""
    forecast_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    """When the last item will be done if every remaining item takes its full promised time."""
    light: Light | None = Field(default=None, sa_type=EnumText(Light, 8))
    """The bundle's light: red if an item is late, yellow if one is due soon or the forecast misses the promise."""
    reason: str | None = None
    seq: int = 0
    history_length: int = 0
    """With `seq`, orders the workflow's writes (persistence/write_order.py)."""
    updated_at: datetime = Field(sa_type=UTCDateTime)


def simulated_cases() -> SelectOfScalar[str]:
    """The case numbers of simulated cases: few (a development database's), so `NOT IN` this stays cheap where
    figures of other tables (ratings, rectifications, escalations) leave them out."""
    return select(col(CaseRecord.case_no)).where(col(CaseRecord.simulated).is_(True))


class ItemRecord(SQLModel, table=True):
    __tablename__ = "case_items"
    __table_args__ = (
        Index("ix_case_items_status_department_light", "status", "department", "light"),
        Index("ix_case_items_finished_department", "finished_at", "department"),
    )

    case_no: str = Field(primary_key=True, foreign_key="cases.case_no", max_length=40)
    code: str = Field(primary_key=True, max_length=64)
    department: str = Field(index=True, max_length=64)
    mode: IntegrationMode = Field(sa_type=EnumText(IntegrationMode, 24))
    status: ItemStatus = Field(index=True, sa_type=EnumText(ItemStatus, 24))
    holder: Holder | None = Field(default=None, sa_type=EnumText(Holder, 24))
    started_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    promised_days: int | None = None
    clock_days: int | None = None
    """Working days the item's clock ran (补正 pauses excluded), once it is finished."""
    due_at: datetime | None = Field(default=None, index=True, sa_type=UTCDateTime)
    statutory_due_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    yellow_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    light: Light | None = Field(default=None, index=True, sa_type=EnumText(Light, 8))
    breached_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    paused_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    round: int = 0
    receipt_no: str | None = Field(default=None, max_length=64)
    output: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    reason: str | None = None
    seq: int = 0


# The leaders' statistics (persistence/stats.py) group cases by thing, status and Shanghai day; indexes on
# exactly those expressions let the database count a million cases from the index alone, in index order.
Index(
    "ix_cases_by_accepted_day",
    CaseRecord.thing,
    CaseRecord.status,
    shanghai_day(CaseRecord.accepted_at),
    shanghai_day(CaseRecord.finished_at),
)
Index(
    "ix_cases_by_finished_day",
    CaseRecord.thing,
    CaseRecord.status,
    shanghai_day(CaseRecord.finished_at),
)


class ApplicationRequest(SQLModel, table=True):
    """An accepted application: the Idempotency-Key a client sent, and the case it became."""

    __tablename__ = "application_requests"
    __table_args__ = (UniqueConstraint("owner", "idempotency_key"),)

    id: int | None = Field(default=None, primary_key=True)
    owner: str = Field(max_length=128)
    acted_by: str | None = Field(default=None, max_length=128)
    """The agent who sent the application for the owner, if any."""
    idempotency_key: str = Field(max_length=128)
    case_no: str = Field(unique=True, max_length=40)
    thing: str = Field(max_length=64)
    request_hash: str = Field(max_length=64)
    """A hash of the body: the same key with a different body is a client error, not a new case."""
    created_at: datetime = Field(sa_type=UTCDateTime)
