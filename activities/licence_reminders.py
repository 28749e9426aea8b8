"""Reminds holders of e-licences that expire soon (证照到期提醒), one notice per licence and expiry date.

Run daily by the `licence-expiry-reminders` schedule. Every notice goes through `deliver_message`,
whose inbox row is keyed by (case_no, kind, item_code, round) with the expiry date as the round, so
a second run on the same day, a retry or an overlapping run sends nothing new, while a renewed
licence (new expiry date) is reminded again.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, time, timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session
from temporalio import activity

from activities.messages import Transport, deliver_message, licence_expiring
from core.calendar import TZ
from core.clock import SYSTEM_CLOCK, Clock
from one_things.catalog import Catalog
from one_things.licence_names import licence_name
from one_things.live import LiveCatalog
from one_things.schema import Names
from persistence.licences import Licence, expiring_between
from workflows.contracts import Message, ReminderRequest

log = logging.getLogger("onething.licence_reminders")

WALLET = Names(zh="电子证照", en="E-licences")
"""The "thing" of a licence issued outside any one-thing (seeded or imported from another system)."""


def expiry_date(licence: Licence) -> date:
    assert licence.expires_at is not None  # only expiring licences are selected
    return licence.expires_at.astimezone(TZ).date()


def reminder(catalog: Catalog, licence: Licence) -> Message:
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
        expires_on=expiry_date(licence),
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
        # Dates are Shanghai calendar days: expiring later today still counts as not yet expired.
        start = datetime.combine(request.today, time.min, tzinfo=TZ)
        end = datetime.combine(request.today + timedelta(days=request.within_days + 1), time.min, tzinfo=TZ)
        with Session(self._engine) as session:
            licences = expiring_between(session, start=start, end=end)
        catalog = self._catalog.current()  # names of a definition published since the worker started, too
        # One commit per notice (inside deliver_message): a retry after a failure resumes, not restarts.
        sent = sum(
            deliver_message(self._engine, self._transport, reminder(catalog, lic), now=self._clock.now())
            for lic in licences
        )
        # Counts only: holders and licence numbers are personal data.
        log.info("licence expiry reminders for %s: %d expiring, %d new", request.today, len(licences), sent)
        return sent
