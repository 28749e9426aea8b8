"""Typed inputs, results, signals and updates of the one-thing workflow and its activities.

Everything here crosses the Temporal boundary, so it is encrypted by the payload codec; it may hold
personal data (the form), but nothing here is ever used as a workflow id, search attribute or log line.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, Field

from core.calendar import YearsCalendar
from one_things.schema import IntegrationMode, Names, OneThing


class CaseStatus(StrEnum):
    RUNNING = "running"
    WAITING_CITIZEN = "waiting_citizen"
    COMPLETED = "completed"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


class ItemStatus(StrEnum):
    PENDING = "pending"
    """Waiting for the items it depends on."""
    RUNNING = "running"
    WAITING_CITIZEN = "waiting_citizen"
    COMPLETED = "completed"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"
    CANCELLED = "cancelled"
    """Stopped because another item of the case was finally rejected."""


FINISHED_ITEM = frozenset({ItemStatus.COMPLETED, ItemStatus.REJECTED, ItemStatus.WITHDRAWN, ItemStatus.CANCELLED})


class Light(StrEnum):
    GREEN = "green"
    YELLOW = "yellow"
    RED = "red"


class Holder(StrEnum):
    """Who has to act next on an item: what a citizen or supervisor wants to know at a glance."""

    DEPARTMENT = "department"
    STAFF = "staff"
    CITIZEN = "citizen"


class WorkingCalendar(BaseModel):
    """The working days of the years a case's deadlines can reach, as they were known when it was accepted
    (core.calendar.YearsCalendar in transit: sorted lists, so the same calendar is the same bytes)."""

    years: list[int] = Field(max_length=4)
    days_off: list[date] = Field(max_length=4 * 366)
    """Weekdays not worked."""
    workdays: list[date] = Field(max_length=4 * 366)
    """Saturdays and Sundays worked (调休上班)."""

    @classmethod
    def of(cls, calendar: YearsCalendar) -> WorkingCalendar:
        return cls(years=sorted(calendar.years), days_off=sorted(calendar.days_off), workdays=sorted(calendar.workdays))

    def days(self) -> YearsCalendar:
        return YearsCalendar(
            years=frozenset(self.years), days_off=frozenset(self.days_off), workdays=frozenset(self.workdays)
        )


class BundleInput(BaseModel):
    case_no: str
    thing: OneThing
    """The definition snapshot the case runs on, whatever the catalogue says later."""
    included: list[str]
    answers: dict[str, str | list[str]] = Field(default_factory=dict)
    """Guidance answers: an option value, or a list of them for a multi-select question (format 2)."""
    form: dict[str, Any]
    owner: str
    """The applicant's opaque account id."""
    accepted_at: datetime
    acted_by: str | None = None
    """The agent who filed for the applicant (代办, 法人授权), kept in the case's history; None: the applicant."""
    calendar: WorkingCalendar | None = None
    """The working days its deadlines are counted on, inside the workflow (services/submission.py says why they
    are fixed at acceptance). None: a case accepted before this field, or whose calendar could not be read; its
    items ask the calendar activity instead."""


class ItemState(BaseModel):
    code: str
    department: str
    mode: IntegrationMode
    promised_days: int | None = None
    """From the definition snapshot, so the projection can judge the item without the catalogue."""
    depends_on: list[str] = Field(default_factory=list)
    status: ItemStatus = ItemStatus.PENDING
    holder: Holder | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    due_at: datetime | None = None
    statutory_due_at: datetime | None = None
    yellow_at: datetime | None = None
    light: Light | None = None
    breached_at: datetime | None = None
    paused_at: datetime | None = None
    round: int = 0
    """How many times the item was resubmitted after a correction request."""
    receipt_no: str | None = None
    output: dict[str, str] | None = None
    reason: str | None = None

    @property
    def finished(self) -> bool:
        return self.status in FINISHED_ITEM


class NoticeNames(BaseModel):
    """What a case's notices name (the thing and its items), carried in the state written to the projection so the
    notices can be rendered there without the catalogue."""

    thing: Names
    items: dict[str, Names]


class CaseState(BaseModel):
    case_no: str
    thing: str
    version: int
    owner: str
    status: CaseStatus = CaseStatus.RUNNING
    accepted_at: datetime
    finished_at: datetime | None = None
    reason: str | None = None
    items: list[ItemState]
    seq: int = 0
    """Bumped on every write; with `history_length`, orders the projection's writes (persistence/write_order.py)."""
    history_length: int = 0
    """The workflow's history length when this state was written (0: a worker from before it was sent)."""
    as_of: datetime | None = None
    """Workflow time of this state, so figures derived from it (the bundle's prediction) use the case's clock."""
    notice_names: NoticeNames | None = None
    """Set for cases whose notices the projection writes (patch messages-in-projection, workflows/notices.py);
    None: the case sends them through the `send_message` activity, or sends none."""

    def item(self, code: str) -> ItemState:
        for item in self.items:
            if item.code == code:
                return item
        raise KeyError(code)


# --- messages from outside -------------------------------------------------------------------


class DepartmentResult(BaseModel):
    """A department's decision, from a signed callback (async mode)."""

    item_code: str
    idempotency_key: str
    status: Literal["completed", "rejected", "correction_requested"]
    receipt_no: str | None = None
    output: dict[str, str] | None = None
    reason: str | None = None


class DepartmentCallback(DepartmentResult):
    """A department's result as the case's workflow receives it: the sender is part of the message, so the
    workflow itself can refuse a result for an item that is not that department's to decide."""

    department: str


RESULT_IGNORED = "ResultIgnored"
"""Failure type of a department result the workflow no longer expects (stale, repeated, case closing):
the sender has done its part and must stop resending."""
RESULT_REFUSED = "ResultRefused"
"""Failure type of a department result that can never apply (wrong item or department, missing outputs)."""
RESULT_TOO_EARLY = "ResultTooEarly"
"""Failure type of a result for an item not yet submitted: it may apply once the item is under way."""


class StaffDecision(BaseModel):
    """A decision taken in the platform's standard handling module by a department's staff."""

    item_code: str
    decision: Literal["approve", "reject", "correction"]
    output: dict[str, str] = Field(default_factory=dict)
    reason: str | None = None
    staff: str


class ItemApplication(BaseModel):
    """What a department's staff read to decide an item in the standard handling module: the item's own
    inputs (from the form and earlier items' results), as its department would receive them, nothing more."""

    item_code: str
    round: int
    inputs: dict[str, Any]
    form: dict[str, Any] = Field(default_factory=dict)
    """The case's whole form as it stands (corrections applied): the workbench shows it labelled, with what the
    item does not read masked."""


class Supplement(BaseModel):
    """The citizen's answer to a correction request (补正): corrected form fields and re-uploaded materials."""

    item_code: str
    form: dict[str, Any] = Field(default_factory=dict)
    materials: list[str] = Field(default_factory=list)
    """Codes of the materials uploaded again with it (the bytes are in the platform's store, not the history)."""
    note: str | None = None
    acted_by: str | None = None
    """The agent who sent it for the applicant; None: the applicant."""


class Withdrawal(BaseModel):
    reason: str = "withdrawn by the applicant"
    acted_by: str | None = None
    """The agent who withdrew it for the applicant; None: the applicant."""


# --- activities ----------------------------------------------------------------------------------


class DeadlineRequest(BaseModel):
    start: datetime
    promised_days: int
    statutory_days: int
    yellow_before_days: int


class ShiftRequest(BaseModel):
    due_at: datetime
    statutory_due_at: datetime
    paused_at: datetime
    resumed_at: datetime
    yellow_before_days: int


class Deadline(BaseModel):
    due_at: datetime
    statutory_due_at: datetime
    yellow_at: datetime


class MaterialRef(BaseModel):
    """A material the item needs, as the definition names it: the gateway sends the upload (by signed URL or
    inline) or, for an exempt one, the reference to the licence or register record it comes from."""

    code: str
    source: str
    """citizen, shared_data or licence_library (one_things.schema.MaterialSource)."""


class Submission(BaseModel):
    department: str
    idempotency_key: str
    case_no: str
    item_code: str
    mode: IntegrationMode
    payload: dict[str, Any]
    outputs: list[str]
    materials: list[MaterialRef] = Field(default_factory=list)
    """Empty in submissions scheduled before materials travelled with them (replayed histories)."""


class DepartmentReply(BaseModel):
    receipt_no: str
    idempotency_key: str
    status: Literal["accepted", "completed", "rejected", "correction_requested", "withdrawn"]
    output: dict[str, str] | None = None
    reason: str | None = None
    submissions: int = 1
    results_by_callback: bool = False
    """On a batch submission's reply: its department posts the result by signed callback (registry
    `batch_results: callback`), so the item waits for it instead of pulling. Set by the worker from the
    registry, never taken from the department's answer; absent (False) in replies recorded before it."""


class SubmissionRef(BaseModel):
    department: str
    idempotency_key: str
    item_code: str | None = None
    outputs: list[str] | None = None
    """The item and its declared outputs, for pulls whose result is checked against them; None in pulls
    scheduled before (replayed histories) and in withdrawals, which need neither."""


class SupervisorEscalation(BaseModel):
    """督办: a supervisor pushes the department of a running item; who and when are logged by the API."""

    item_code: str
    note: str = Field(max_length=200)


class EscalationNotice(BaseModel):
    department: str
    case_no: str
    item_code: str
    level: str
    note: str


# --- messages to the citizen ---------------------------------------------------------------------


class MessageKind(StrEnum):
    ACCEPTED = "accepted"
    CORRECTION_NEEDED = "correction_needed"
    ITEM_DONE = "item_done"
    ALL_DONE = "all_done"
    LICENCE_EXPIRING = "licence_expiring"
    """Sent by the licence wallet, not by the case workflow."""


class Channel(StrEnum):
    SMS = "sms"
    EMAIL = "email"


class Message(BaseModel):
    """A notice for a citizen: one inbox row plus an SMS and an e-mail.

    (case_no, kind, item_code, round) is the message's identity: retries and replays deliver it once.
    The texts are rendered by the activity from names, never from the form, so no personal data.
    """

    owner: str
    case_no: str
    kind: MessageKind
    item_code: str = ""
    """Empty for a message about the whole case."""
    round: int = 0
    """The item's submission round (补正 asks again in a later round); for licence_expiring the expiry date."""
    thing_name: Names
    item_name: Names | None = None
    reason: str | None = None
    """What a department asks to be corrected."""
    channels: list[Channel] = Field(default_factory=lambda: [Channel.SMS, Channel.EMAIL])


# --- rectification (整改) after a bad rating -------------------------------------------------------


class RectificationStatus(StrEnum):
    OPEN = "open"
    """Waiting for the department's first reply."""
    REPLIED = "replied"
    """Waiting for the citizen to confirm or contest the reply."""
    CONTESTED = "contested"
    """The citizen contested the reply: waiting for the department's second reply."""
    CONFIRMED = "confirmed"
    ESCALATED = "escalated"
    """Contested twice: handed to the supervisor (督办)."""
    CLOSED_NO_RESPONSE = "closed_no_response"
    """The citizen neither confirmed nor contested in time: closed as accepted."""


OPEN_RECTIFICATION = frozenset({RectificationStatus.OPEN, RectificationStatus.CONTESTED})
FINISHED_RECTIFICATION = frozenset(
    {RectificationStatus.CONFIRMED, RectificationStatus.ESCALATED, RectificationStatus.CLOSED_NO_RESPONSE}
)


class RectificationInput(BaseModel):
    case_no: str
    thing: str
    department: str
    owner: str
    score: int
    comment: str
    rated_at: datetime


class RectificationReply(BaseModel):
    text: str
    staff: str
    at: datetime | None = None
    """Set by the workflow when the reply is accepted."""


class CitizenVerdict(BaseModel):
    note: str = ""


class RectificationState(BaseModel):
    id: str
    case_no: str
    thing: str
    department: str
    owner: str
    score: int
    comment: str
    status: RectificationStatus = RectificationStatus.OPEN
    started_at: datetime
    due_at: datetime | None = None
    light: Light = Light.GREEN
    overdue_at: datetime | None = None
    replies: list[RectificationReply] = Field(default_factory=list)
    contest_note: str | None = None
    citizen_note: str | None = None
    closed_at: datetime | None = None
    seq: int = 0
    history_length: int = 0
    """As CaseState's: the two order the projection's writes (persistence/write_order.py)."""


# --- licence expiry reminders ----------------------------------------------------------------------


DEFAULT_REMINDER_LEADS = (90, 30)
"""Days before the last valid day on which a holder is reminded. 90: most renewals can be applied for
from three months before expiry (a resident ID card, a driving licence) and some need an appointment or a
medical check first; 30: a last call for those who did not act on the first."""


def _leads(value: list[int]) -> list[int]:
    # Largest first, no repeats: the sweep looks for the smallest lead a licence has reached.
    return sorted(set(value), reverse=True)


ReminderLeads = Annotated[
    list[Annotated[int, Field(ge=1, le=366)]], Field(min_length=1, max_length=5), AfterValidator(_leads)
]


class ReminderRun(BaseModel):
    """LicenceReminderWorkflow's input: fixed when the schedule is created, so it carries no date."""

    within_days: int = Field(default=30, ge=1)
    """Only read by runs started before lead_days existed (patch licence-reminder-leads)."""
    lead_days: ReminderLeads = Field(default_factory=lambda: list(DEFAULT_REMINDER_LEADS))


class ReminderRequest(BaseModel):
    """Remind holders of licences whose last valid day is `today` or later, at most the largest lead
    (else `within_days`) later, in Shanghai dates."""

    today: date
    within_days: int = Field(default=30, ge=1)
    lead_days: ReminderLeads | None = None
    """One notice per lead a licence reaches; None (runs before this field): one notice within `within_days`."""
