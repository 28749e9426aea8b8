"""Request and response bodies of the JSON API that are HTTP's own; the views a service returns (e.g.
`services.cases.CaseView`) are served as they are."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Base64Bytes, BaseModel, Field

from core.bounds import Code, MultiLine, ShortLine
from services.cases import ShownStatus
from services.materials import HOW
from services.rectifications import RectificationView
from services.staff_work import QueueEntry


class ApplicationAccepted(BaseModel):
    case_no: str
    thing: str
    status: ShownStatus
    """`starting` (accepted, its workflow not yet running: it starts as soon as the case engine answers)."""
    included: list[str]
    links: dict[str, str]


class CaseSummary(BaseModel):
    case_no: str
    thing: str
    status: ShownStatus
    accepted_at: datetime
    finished_at: datetime | None
    acted_by: str | None = None
    """The agent's account id when an agent filed the case; None: the applicant did."""


class SupplementIn(BaseModel):
    item_code: Code = Field(description="The item whose department asked for the correction")
    form: dict[Code, Any] = Field(default_factory=dict, max_length=200, description="Corrected form fields")
    materials: dict[Code, Base64Bytes] = Field(
        default_factory=dict,
        max_length=20,
        description=f"Materials sent again (a correction may ask for a clearer photo), as with the application: {HOW}",
    )
    note: MultiLine | None = Field(default=None, max_length=500)


class WithdrawIn(BaseModel):
    reason: MultiLine = Field(default="withdrawn by the applicant", max_length=500)


class StaffDecisionIn(BaseModel):
    decision: Literal["approve", "reject", "correction"]
    output: dict[Code, ShortLine] = Field(default_factory=dict, max_length=50)
    reason: MultiLine | None = Field(default=None, max_length=500)
    about: ShortLine | None = Field(
        default=None,
        max_length=80,
        description="A correction's subject: `field.<code>` (a form field the item reads) or `material.<code>` "
        "(an uploaded material), as the workbench's `correctable` lists them; its name leads the reason",
    )


class StaffQueue(BaseModel):
    items: list[QueueEntry]
    """The nearest deadline first."""


class DepartmentRectifications(BaseModel):
    items: list[RectificationView]
    """Open ones first, nearest deadline first."""


class CatalogHealth(BaseModel):
    status: Literal["ok", "refused"]
    """refused: the folder's latest change was refused; the last good catalogue is still served."""
    definitions: int
    """How many definitions are served."""
    errors: int
    """How many errors the refused change had (the log names each file and line)."""


class Readiness(BaseModel):
    status: Literal["ready"]
    database: Literal["ok"]
    temporal: Literal["ok"]


class Health(BaseModel):
    status: Literal["ok"]
    catalog: CatalogHealth
