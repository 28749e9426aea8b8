"""The supervisors' board and 督办, shared by the JSON routes and the pages so both say the same."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, computed_field
from sqlmodel import Session

from core.auth import Principal
from core.calendar import TZ, day_on_time
from core.ids import workflow_id
from core.settings import Settings
from one_things.catalog import Catalog
from persistence.cases import get_case
from persistence.department_calls import DepartmentHealth, department_health
from persistence.escalations import EscalationRecord, case_escalations, escalations_by_department, record_escalation
from persistence.rectifications import (
    RectificationRecord,
    case_rectifications,
    open_rectifications,
    rectification_figures,
)
from persistence.supervision import (
    DIMENSIONS,
    OPEN,
    AtRiskCase,
    AttentionItem,
    LightCount,
    Performance,
    at_risk_cases,
    attention_items,
    case_lights,
    item_lights,
    light_now,
    performance,
)
from services.audit import DataCategory, Purpose, record_read
from services.case_gateway import CaseGateway
from services.cases import CaseView, case_view, not_found
from services.errors import ConflictError, InvalidError, NotFoundError
from services.in_thread import committed
from services.metrics import record_escalation as count_escalation
from workflows.contracts import SupervisorEscalation

DEFAULT_DAYS = 30


class View(BaseModel):
    """The JSON views below are built as dicts the pages share; forbidding extra keys keeps the two in step."""

    model_config = ConfigDict(extra="forbid")


class PeriodView(View):
    since: date
    until: date
    """Included."""


class ItemLights(View):
    department: list[LightCount]
    item: list[LightCount]


class CaseLights(View):
    thing: list[LightCount]
    district: list[LightCount]


class PerformanceBy(View):
    department: list[Performance]
    item: list[Performance]
    thing: list[Performance]
    district: list[Performance]


class RectificationFiguresView(View):
    department: str
    opened: int
    open: int
    overdue: int
    replied: int
    replied_on_time: int
    escalated: int
    on_time_rate: float | None
    """replied_on_time / replied; null before any reply."""


class Board(View):
    now: datetime
    with_simulated: bool
    """Whether cases made by `onething simulate` are in the figures (left out by default)."""
    period: PeriodView
    item_lights: ItemLights
    case_lights: CaseLights
    performance: PerformanceBy
    overdue: list[AttentionItem]
    due_soon: list[AttentionItem]
    at_risk: list[AtRiskCase]
    escalations: dict[str, int]
    """督办 in the period per department."""
    health: list[DepartmentHealth]
    rectifications: list[RectificationFiguresView]


class OpenRectification(View):
    id: str
    case_no: str
    department: str
    status: str
    light: str
    due_at: datetime | None
    score: int

    @computed_field  # type: ignore[prop-decorator]
    @property
    def due_on(self) -> date | None:
        """The last day on time (Asia/Shanghai), as people read the deadline; `due_at` is the instant ending it."""
        return day_on_time(self.due_at)


class RectificationReport(View):
    departments: list[RectificationFiguresView]
    open: list[OpenRectification]


class SupervisedCase(View):
    case: CaseView
    district: str
    simulated: bool
    """Made by `onething simulate`, not a real application: left out of the figures unless asked for."""
    light: str | None
    promised_at: datetime | None
    forecast_at: datetime | None
    escalations: list[EscalationRecord]
    rectifications: list[RectificationRecord]
    temporal_url: str
    """The case's workflow in the Temporal UI."""

    @computed_field  # type: ignore[prop-decorator]
    @property
    def promised_on(self) -> date | None:
        """The last day on time (Asia/Shanghai), as people read the deadline; `promised_at` is the instant ending it."""
        return day_on_time(self.promised_at)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def forecast_on(self) -> date | None:
        """The last day on time (Asia/Shanghai), as people read the deadline; `forecast_at` is the instant ending it."""
        return day_on_time(self.forecast_at)


@dataclass(frozen=True)
class Period:
    """Whole Shanghai days from `first` to `last`, both included."""

    first: date
    last: date

    @property
    def since(self) -> datetime:
        return datetime.combine(self.first, datetime.min.time(), tzinfo=TZ).astimezone(UTC)

    @property
    def until(self) -> datetime:
        return datetime.combine(self.last + timedelta(days=1), datetime.min.time(), tzinfo=TZ).astimezone(UTC)


def period(since: date | None, until: date | None, now: datetime) -> Period:
    last = until or now.astimezone(TZ).date()
    first = since or last - timedelta(days=DEFAULT_DAYS - 1)
    if first > last:
        raise InvalidError(
            "since is after until; give since on or before until (dates as YYYY-MM-DD).",
            [{"field": "since", "message": "must be on or before until"}],
            rule="period_reversed",
        )
    return Period(first, last)


def board(session: Session, *, now: datetime, span: Period, with_simulated: bool = False) -> dict[str, Any]:
    """Everything the dashboard shows in one read: lights now (judged as read, not as last written), performance
    over the period, attention lists; cases `onething simulate` made only `with_simulated`."""
    sim = with_simulated
    return {
        "now": now,
        "with_simulated": sim,
        "period": {"since": span.first, "until": span.last},
        "item_lights": {by: item_lights(session, by=by, now=now, with_simulated=sim) for by in ("department", "item")},
        "case_lights": {by: case_lights(session, by=by, now=now, with_simulated=sim) for by in ("thing", "district")},
        "performance": {
            by: performance(session, by=by, first=span.first, last=span.last, with_simulated=sim) for by in DIMENSIONS
        },
        "overdue": attention_items(session, now=now, lights=("red",), limit=50, with_simulated=sim),
        "due_soon": attention_items(session, now=now, lights=("yellow",), limit=50, with_simulated=sim),
        "at_risk": at_risk_cases(session, now=now, limit=50, with_simulated=sim),
        "escalations": escalations_by_department(session, since=span.since, until=span.until, with_simulated=sim),
        "health": department_health(session, since=span.since, until=min(span.until, now), now=now),
        "rectifications": [
            {**asdict(row), "on_time_rate": row.on_time_rate}
            for row in rectification_figures(session, since=span.since, until=span.until, now=now, with_simulated=sim)
        ],
    }


def rectification_report(session: Session, *, span: Period, now: datetime) -> dict[str, Any]:
    """整改 after bad reviews: per department opened, open, overdue, replied on time; and the open ones."""
    figures = rectification_figures(session, since=span.since, until=span.until, now=now)
    return {
        "departments": [{**vars(row), "on_time_rate": row.on_time_rate} for row in figures],
        "open": [
            {key: getattr(r, key) for key in ("id", "case_no", "department", "status", "light", "due_at", "score")}
            | {"due_on": day_on_time(r.due_at)}
            for r in open_rectifications(session)
        ],
    }


def temporal_ui_url(settings: Settings, case_no: str) -> str:
    host = settings.temporal_address.rsplit(":", 1)[0]
    wid = workflow_id(case_no)
    return f"http://{host}:{settings.temporal_ui_port}/namespaces/{settings.temporal_namespace}/workflows/{wid}"


def case_detail(
    session: Session, catalog: Catalog, settings: Settings, case_no: str, *, reader: Principal, now: datetime
) -> dict[str, Any]:
    """One case for a supervisor: its items' timeline, the escalations so far and its workflow in Temporal.

    Its items' results (certificate numbers and the like) are the citizen's data: the read is recorded."""
    found = get_case(session, case_no=case_no)
    if found is None:
        raise not_found(case_no)
    case, items = found
    record_read(session, reader, case_no=case_no, what=DataCategory.CASE_DETAIL, purpose=Purpose.SUPERVISION, now=now)
    return {
        "case": case_view(catalog, case, items),
        "district": case.district,
        "simulated": case.simulated,
        "light": light_now(session, case_no=case_no, now=now) or case.light,
        "promised_at": case.promised_at,
        "forecast_at": case.forecast_at,
        "escalations": case_escalations(session, case_no=case_no),
        "rectifications": case_rectifications(session, case_no=case_no),
        "temporal_url": temporal_ui_url(settings, case_no),
    }


async def escalate(
    session: Session,
    cases: CaseGateway,
    supervisor: Principal,
    *,
    case_no: str,
    item_code: str,
    note: str,
    now: datetime,
) -> EscalationRecord:
    """督办: signal the case so its workflow notifies the department, and log who did it and when."""
    department = await committed(session, _open_item_department, session, case_no, item_code)
    await cases.escalate(case_no, SupervisorEscalation(item_code=item_code, note=note))
    escalation = await committed(
        session,
        record_escalation,
        session,
        case_no=case_no,
        item_code=item_code,
        department=department,
        supervisor=supervisor.subject,
        note=note,
        at=now,
    )
    count_escalation(department)
    return escalation


def _open_item_department(session: Session, case_no: str, item_code: str) -> str:
    found = get_case(session, case_no=case_no)
    if found is None:
        raise not_found(case_no)
    case, items = found
    item = next((i for i in items if i.code == item_code), None)
    if item is None:
        raise NotFoundError(f"Case {case_no} has no item {item_code}; pick one of its items.")
    if case.status not in OPEN or item.status not in OPEN:
        raise ConflictError(f"Item {item_code} is {item.status}: only an item being handled can be pushed.")
    return item.department
