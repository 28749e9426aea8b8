"""The stubs' tables and the HTTP contract's bodies.

The tables live on their own SQLAlchemy registry, not on `SQLModel.metadata`: the platform's projection
schema is `SQLModel.metadata` (its Alembic migrations compare against it), and a department's records must
never appear in the platform's database (受办分离 — the department keeps its own books).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_serializer
from sqlalchemy import JSON, Column, UniqueConstraint
from sqlalchemy.orm import registry
from sqlmodel import Field as SQLField
from sqlmodel import SQLModel

Mode = Literal["sync_rest", "async_callback", "batch"]
Status = Literal["accepted", "completed", "rejected", "correction_requested", "withdrawn"]
DECIDED: frozenset[str] = frozenset({"completed", "rejected", "correction_requested"})


class CallbackState:
    """Where an async record's callback stands; persisted so a restarted stub knows what to resume."""

    SCHEDULED = "scheduled"  # not decided yet: the department is still "working"
    PENDING = "pending"  # decided, delivery not yet acknowledged by the platform
    DELIVERED = "delivered"
    FAILED = "failed"  # the platform refused it with a 4xx that retrying cannot fix
    CANCELLED = "cancelled"  # the citizen withdrew first
    ACTIVE = frozenset({SCHEDULED, PENDING})


def as_utc(value: datetime | None) -> datetime | None:
    """SQLite hands datetimes back without a zone; every stored datetime is UTC."""
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


class DepartmentsTable(SQLModel, registry=registry()):
    """Base of the stubs' tables: their own metadata, created only in the departments database."""


class StubRecord(DepartmentsTable, table=True):
    __tablename__ = "stub_records"
    __table_args__ = (UniqueConstraint("department", "idempotency_key"),)

    id: int | None = SQLField(default=None, primary_key=True)
    department: str = SQLField(index=True, max_length=64)
    idempotency_key: str = SQLField(max_length=200)
    case_no: str = SQLField(max_length=80)
    item_code: str = SQLField(max_length=80)
    mode: str | None = SQLField(default=None, max_length=24)
    """None only on a tombstone (a withdrawal that arrived before any submission)."""
    receipt_no: str = SQLField(max_length=64)
    status: str = SQLField(index=True, max_length=24)
    output: dict[str, str] | None = SQLField(default=None, sa_column=Column(JSON))
    reason: str | None = None
    submissions: int = 0
    outputs: list[str] = SQLField(default_factory=list, sa_column=Column(JSON))
    payload_fields: list[str] = SQLField(default_factory=list, sa_column=Column(JSON))
    """Only the names of the submitted fields: the stub never keeps personal data it does not need."""
    callback_url: str | None = None
    callback_state: str | None = SQLField(default=None, index=True, max_length=16)
    callback_attempts: int = 0
    decide_at: datetime | None = None
    created_at: datetime
    decided_at: datetime | None = None
    withdrawn_at: datetime | None = None


class StubEscalation(DepartmentsTable, table=True):
    __tablename__ = "stub_escalations"
    __table_args__ = (UniqueConstraint("department", "case_no", "item_code", "level"),)

    id: int | None = SQLField(default=None, primary_key=True)
    department: str = SQLField(index=True, max_length=64)
    case_no: str = SQLField(max_length=80)
    item_code: str = SQLField(max_length=80)
    level: str = SQLField(max_length=40)
    note: str
    notices: int = 1
    received_at: datetime


class StubMaterial(DepartmentsTable, table=True):
    """What the department received of a submission's material: its digest and size, never the bytes (a
    photo of a person is personal data, and the stub only has to show it arrived intact)."""

    __tablename__ = "stub_materials"
    __table_args__ = (UniqueConstraint("department", "idempotency_key", "code"),)

    id: int | None = SQLField(default=None, primary_key=True)
    department: str = SQLField(index=True, max_length=64)
    idempotency_key: str = SQLField(max_length=200)
    code: str = SQLField(max_length=64)
    source: str = SQLField(max_length=24)
    how: str = SQLField(max_length=16)
    """downloaded (by the signed URL), inline (base64 in the body) or reference (an exempt material)."""
    sha256: str | None = SQLField(default=None, max_length=64)
    size: int | None = None
    content_type: str | None = SQLField(default=None, max_length=64)
    reference: str | None = SQLField(default=None, max_length=200)
    received_at: datetime


# --- HTTP bodies -------------------------------------------------------------------------------------


class MaterialIn(BaseModel):
    """A material of the submission: an upload by `url` or `content_base64`, or an exempt `reference`."""

    model_config = ConfigDict(extra="forbid")

    code: str = Field(min_length=1, max_length=64)
    source: Literal["citizen", "shared_data", "licence_library"]
    content_type: str | None = Field(default=None, max_length=64)
    size: int | None = Field(default=None, ge=0, le=50 * 1024 * 1024)
    sha256: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$")
    url: str | None = Field(default=None, max_length=2000)
    expires_at: int | None = None
    content_base64: str | None = Field(default=None, max_length=70 * 1024 * 1024)
    reference: str | None = Field(default=None, max_length=200)


class MaterialOut(BaseModel):
    idempotency_key: str
    code: str
    source: str
    how: str
    sha256: str | None
    size: int | None
    content_type: str | None
    reference: str | None


class SubmissionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    idempotency_key: str = Field(min_length=1, max_length=200)
    case_no: str = Field(min_length=1, max_length=80)
    item_code: str = Field(min_length=1, max_length=80)
    mode: Mode
    payload: dict[str, Any] = Field(default_factory=dict)
    outputs: list[str] = Field(default_factory=list)
    callback_url: str | None = None
    materials: list[MaterialIn] = Field(default_factory=list, max_length=50)


class SubmissionOut(BaseModel):
    receipt_no: str
    idempotency_key: str
    status: Status
    output: dict[str, str] | None
    reason: str | None
    submissions: int

    @classmethod
    def of(cls, record: StubRecord) -> SubmissionOut:
        return cls.model_validate(record, from_attributes=True)


class RecordOut(BaseModel):
    idempotency_key: str
    case_no: str
    item_code: str
    mode: str | None
    receipt_no: str
    status: Status
    submissions: int
    created_at: datetime
    decided_at: datetime | None
    withdrawn_at: datetime | None
    output: dict[str, str] | None

    @field_serializer("created_at", "decided_at", "withdrawn_at")
    def _utc(self, value: datetime | None) -> datetime | None:
        return as_utc(value)


class RecordWithDepartment(RecordOut):
    department: str


class EscalationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    case_no: str = Field(min_length=1, max_length=80)
    item_code: str = Field(min_length=1, max_length=80)
    level: str = Field(min_length=1, max_length=40)
    note: str = Field(default="", max_length=2000)


class EscalationOut(BaseModel):
    case_no: str
    item_code: str
    level: str
    note: str
    notices: int
    received_at: datetime

    @field_serializer("received_at")
    def _utc(self, value: datetime) -> datetime | None:
        return as_utc(value)


class ClockIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    now: datetime = Field(description="The simulated time; without a zone it is read as UTC")


class ClockOut(BaseModel):
    now: datetime
    simulated: bool
    """False while the stubs follow the wall clock (nobody has set the clock)."""
    callbacks_owed: int
    """Async decisions due at `now` whose callback has not been delivered yet: 0 means the stubs are idle."""
