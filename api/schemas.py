"""Request and response bodies of the JSON API."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from one_things.schema import IntegrationMode
from workflows.contracts import CaseStatus, Holder, ItemStatus, Light


class ApplicationIn(BaseModel):
    thing: str = Field(description="The one-thing code, e.g. newborn (see GET /api/v1/things)")
    answers: dict[str, str] = Field(default_factory=dict, description="Guidance answers: question code -> option")
    form: dict[str, Any] = Field(description="The unified form: field code -> value")
    individual_item: str | None = Field(
        default=None,
        description="Apply for this one item of the one-thing on its own (分别办理), e.g. when the bundle's "
        "eligibility rules rule the applicant out; answers are then ignored",
    )


class ApplicationAccepted(BaseModel):
    case_no: str
    thing: str
    status: CaseStatus
    included: list[str]
    links: dict[str, str]


class ItemView(BaseModel):
    code: str
    name: str
    department: str
    department_name: str
    mode: IntegrationMode
    status: ItemStatus
    holder: Holder | None
    started_at: datetime | None
    finished_at: datetime | None
    due_at: datetime | None
    statutory_due_at: datetime | None
    light: Light | None
    breached_at: datetime | None
    round: int
    output: dict[str, Any] | None
    reason: str | None


class CaseView(BaseModel):
    case_no: str
    thing: str
    version: int
    status: CaseStatus
    accepted_at: datetime
    finished_at: datetime | None
    reason: str | None
    items: list[ItemView]


class CaseSummary(BaseModel):
    case_no: str
    thing: str
    status: CaseStatus
    accepted_at: datetime
    finished_at: datetime | None


class SupplementIn(BaseModel):
    item_code: str = Field(description="The item whose department asked for the correction")
    form: dict[str, Any] = Field(default_factory=dict, description="Corrected form fields")
    note: str | None = Field(default=None, max_length=500)


class WithdrawIn(BaseModel):
    reason: str = Field(default="withdrawn by the applicant", max_length=500)


class StaffDecisionIn(BaseModel):
    decision: Literal["approve", "reject", "correction"]
    output: dict[str, str] = Field(default_factory=dict)
    reason: str | None = Field(default=None, max_length=500)


class QueueEntry(BaseModel):
    case_no: str
    item_code: str
    department: str
    thing: str
    status: ItemStatus
    round: int = 0
    """0 for the first submission; n after the n-th correction (补正)."""
    due_at: datetime | None
    light: Light | None
    outputs: list[str]
    accepted_at: datetime
    claimed_by: str | None = None
    claimed_at: datetime | None = None
