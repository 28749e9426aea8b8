"""The one registration list of activities, built from their injected dependencies."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy.engine import Engine

from activities.calendar import CalendarActivities
from activities.call_log import CallLog
from activities.departments import DepartmentActivities
from activities.gateways import DepartmentHttp, GatewayContext, Gateways
from activities.gateways.keys import KeyRing
from activities.gateways.materials import MaterialsDesk
from activities.licence_reminders import LicenceReminderActivities
from activities.message_gateways import message_transport
from activities.messages import MessageActivities, Transport
from activities.projection import ProjectionActivities
from activities.rectifications import RectificationActivities
from core.calendar import NONE, CalendarSource, fixed
from core.clock import SYSTEM_CLOCK, Clock
from core.settings import Settings
from one_things.department_registry import Registry
from one_things.live import LiveCatalog
from one_things.live_registry import LiveRegistry


def build_activities(
    *,
    http: httpx.AsyncClient,
    engine: Engine,
    catalog: LiveCatalog,
    registry: Registry | LiveRegistry,
    api_url: str,
    settings: Settings,
    department_http: DepartmentHttp | None = None,
    calendar_adjustments: CalendarSource = fixed(NONE),
    transport: Transport | None = None,
    clock: Clock = SYSTEM_CLOCK,
    call_log: CallLog | None = None,
) -> list[Callable[..., Any]]:
    """`department_http` carries the client certificates and rate limits of the departments (its owner closes
    it); None makes one on `http`. `call_log` takes the department-health rows (its owner drains it)."""
    lifetime = timedelta(hours=settings.material_url_hours)
    context = GatewayContext(
        http=department_http or DepartmentHttp(http, clock),
        callback_base_url=api_url,
        materials=MaterialsDesk(engine, settings.secret_key, api_url, lifetime, clock),
        clock=clock,
        keys=KeyRing(engine, settings, clock),
    )
    departments = DepartmentActivities(Gateways(registry, context), call_log or CallLog(engine))
    calendar = CalendarActivities(calendar_adjustments)
    projection = ProjectionActivities(engine, calendar_adjustments, clock, catalog)
    transport = transport or message_transport(settings, engine, clock)
    messages = MessageActivities(engine, transport, clock)
    reminders = LicenceReminderActivities(engine, transport, catalog, clock)
    rectifications = RectificationActivities(engine, clock)
    return [
        departments.submit_to_department,
        departments.await_batch_result,
        departments.withdraw_from_department,
        departments.escalate_to_department,
        calendar.compute_deadline,
        calendar.shift_deadline,
        projection.project_case_state,
        messages.send_message,
        reminders.remind_expiring_licences,
        rectifications.project_rectification,
    ]
