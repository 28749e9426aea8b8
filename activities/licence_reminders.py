"""Reminds holders of e-licences that expire soon (证照到期提醒), one notice per licence, expiry and lead.

Run daily by the `licence-expiry-reminders` schedule with the leads (by default 90 and 30 days before the
last valid day). A licence is reminded for the smallest lead it has reached, so one first seen 20 days
before expiry gets the 30-day notice only, not both at once. Every notice goes through `deliver_message`,
whose inbox row is keyed by (case_no, kind, item_code, round) with the last valid day and the lead as
the round, so a second run on the same day, a retry or an overlapping run sends nothing new, while a
renewed licence (new expiry) is reminded again.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, time, timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.messages import Transport, deliver_message, licence_expiring
from core.calendar import TZ
from core.clock import SYSTEM_CLOCK, Clock
from one_things.catalog import Catalog
from one_things.licence_names import licence_name
from one_things.live import LiveCatalog
from one_things.schema import Names
from one_things.validity import last_valid_day
from persistence.licences import Licence, expiring_between
from workflows.contracts import Message, ReminderRequest

log = logging.getLogger("onething.licence_reminders")

WALLET = Names(zh="电子证照", en="E-licences")
"""The "thing" of a licence issued outside any one-thing (seeded or imported from another system)."""


def expiry_date(licence: Licence) -> date:
    """The licence's last valid day (Shanghai)."""
    assert licence.expires_at is not None  # only expiring licences are selected
    return last_valid_day(licence.expires_at)


def due_lead(last_day: date, *, today: date, leads: list[int]) -> int | None:
    """The smallest lead (days before the last valid day) that `today` has reached; None before the first."""
    left = (last_day - today).days
    reached = [lead for lead in leads if 0 <= left <= lead]
    return min(reached) if reached else None


def reminder(catalog: Catalog, licence: Licence, lead_days: int | None = None) -> Message:
    if licence.case_no is not None and licence.item_code is not None:
        # A case's result: the notice sits beside the case's other notices and links to the case.
        case_no, item_code = licence.case_no, licence.item_code
    else:
        # No case (a seeded marriage certificate): the licence id is the only key that is unique per
        # licence (each spouse holds their own copy of one number), stable across runs, opaque (safe in
        # logs and the inbox row) and short enough for case_no; it can never collide with a case number.
        case_no, item_code = licence.id, licence.kind
    thing = catalog.get(licence.thing).name if licence.thing is not None and licence.thing in catalog else WALLET
    return licence_expiring(
        owner=licence.holder,
        case_no=case_no,
        item_code=item_code,
        thing_name=thing,
        licence_name=licence_name(catalog, kind=licence.kind, thing=licence.thing),
        last_valid_day=expiry_date(licence),
        lead_days=lead_days,
    )


class LicenceReminderActivities:
    def __init__(self, engine: Engine, transport: Transport, catalog: LiveCatalog, clock: Clock = SYSTEM_CLOCK) -> None:
        self._engine = engine
        self._transport = transport
        self._catalog = catalog
        self._clock = clock

    @activity.defn
    def remind_expiring_licences(self, request: ReminderRequest) -> int:
        """Delivers the notices not delivered yet; returns how many were new."""
        leads = request.lead_days or [request.within_days]
        # Shanghai calendar days: a licence whose last valid day is today is still valid and reminded.
        start = datetime.combine(request.today, time.min, tzinfo=TZ)
        end = datetime.combine(request.today + timedelta(days=max(leads) + 1), time.min, tzinfo=TZ)
        with Session(self._engine) as session:
            # Expiring at 00:00 of the day after the window is still within it (its last day is inside).
            candidates = expiring_between(session, start=start, end=end + timedelta(microseconds=1))
        due: list[tuple[Licence, int | None]] = []
        for licence in candidates:
            lead = due_lead(expiry_date(licence), today=request.today, leads=leads)
            if lead is not None:
                due.append((licence, lead if request.lead_days else None))
        catalog = self._catalog.current()  # names of a definition published since the worker started, too
        sent = refused = 0
        for licence, lead in due:
            # One commit per notice (inside deliver_message): a retry after a failure resumes, not restarts.
            try:
                sent += deliver_message(
                    self._engine, self._transport, reminder(catalog, licence, lead), now=self._clock.now()
                )
            except ApplicationError as error:
                if not error.non_retryable:
                    raise  # the gateway is away: the activity's retry policy tries the sweep again
                # One holder's refused message must not hold back everyone else's; its inbox row is there.
                refused += 1
        # Counts only: holders and licence numbers are personal data.
        log.info("licence expiry reminders for %s: %d due, %d new, %d refused", request.today, len(due), sent, refused)
        return sent
