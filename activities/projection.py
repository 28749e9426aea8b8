"""Writes case state into the SQL projection: a regular activity (workflows/projection.py says why)."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy.engine import Engine
from temporalio import activity

from activities.case_notices import owes_new_notice, write_case_notices
from core.calendar import NONE, Adjustments, CalendarSource, fixed
from core.clock import SYSTEM_CLOCK, Clock
from core.sla import PlannedItem, clock_days_used, forecast_completion
from one_things.live import LiveCatalog
from one_things.validity import expires_at
from persistence.cases import CaseFigures, project_case_write
from persistence.db import session_scope
from persistence.licences import has_new_result, issue_case_licences
from workflows.contracts import CaseState, ItemState, Light

log = logging.getLogger("onething.projection")


class ProjectionActivities:
    def __init__(
        self,
        engine: Engine,
        calendar_adjustments: CalendarSource = fixed(NONE),
        clock: Clock = SYSTEM_CLOCK,
        catalog: LiveCatalog | None = None,
    ) -> None:
        """`catalog` declares how long each item's licence is valid; without it licences never expire."""
        self._engine = engine
        self._clock = clock
        self._calendar = calendar_adjustments
        self._catalog = catalog

    @activity.defn
    def project_case_state(self, state: CaseState) -> bool:
        figures = case_figures(state, self._calendar())
        with session_scope(self._engine) as session:
            write = project_case_write(session, state=state, now=self._clock.now(), figures=figures)
            # A write applied over an earlier write's state (not only the acceptance's row, seq 0) knows what that
            # write issued and noticed in its transaction; any other write (the first, a retry, a stale or
            # replayed one) looks everything up, as both steps are idempotent.
            since = write.before_items if write.applied and write.before_seq else None
            # Results reach the wallet in the same transaction as the case, so no extra activity runs
            # and a retried or replayed write finds them there (issuing is idempotent, not seq-gated).
            if since is None or has_new_result(state, since):
                issue_case_licences(session, state=state, expiries=self._expiries(state))
            # The notices the state owes, in the same transaction: keyed, so a repeated write adds none.
            if since is None or owes_new_notice(state, write.before_status, since):
                write_case_notices(session, state, now=self._clock.now())
            return write.applied

    def _expiries(self, state: CaseState) -> dict[str, datetime]:
        """When each finished item's licence expires, by the validity of the definition the case runs on."""
        if self._catalog is None:
            return {}
        try:
            definition = self._catalog.current().get(state.thing, state.version)
        except KeyError:
            # A definition neither published nor stored: its licences are issued without an expiry
            # rather than not at all (the case number is safe in a log; nothing personal is).
            log.warning("case %s: no definition %s@%s for licence validity", state.case_no, state.thing, state.version)
            return {}
        valid_for = {item.code: item.result_valid_for for item in definition.items if item.result_valid_for}
        return {
            item.code: expires_at(valid_for[item.code], item.finished_at)
            for item in state.items
            if item.code in valid_for and item.finished_at is not None
        }


def case_figures(state: CaseState, adjustments: Adjustments = NONE) -> CaseFigures:
    """The bundle's promise, forecast and light, and each finished item's clock days."""
    if any(item.promised_days is None for item in state.items):
        return CaseFigures()  # a state from before items carried their promise: nothing to judge it by
    now = state.as_of or state.accepted_at
    planned = [_planned(item) for item in state.items]
    unstarted = [PlannedItem(p.code, p.promised_days, p.depends_on, None, None) for p in planned]
    promised_at = forecast_completion(unstarted, state.accepted_at, adjustments)
    forecast_at = forecast_completion(planned, now, adjustments)
    clock_days = {
        item.code: clock_days_used(item.promised_days, item.due_at, item.finished_at, adjustments)
        for item in state.items
        if item.promised_days is not None and item.due_at is not None and item.finished_at is not None
    }
    return CaseFigures(
        promised_at=promised_at,
        forecast_at=forecast_at,
        light=_bundle_light(state, now, promised_at, forecast_at).value,
        clock_days=clock_days,
    )


def _planned(item: ItemState) -> PlannedItem:
    assert item.promised_days is not None
    return PlannedItem(
        code=item.code,
        promised_days=item.promised_days,
        depends_on=item.depends_on,
        due_at=item.due_at,
        finished_at=item.finished_at if item.finished else None,
    )


def _bundle_light(state: CaseState, now: datetime, promised_at: datetime, forecast_at: datetime) -> Light:
    """Red once an item or the bundle is late; yellow when an item is due soon or the forecast misses the
    promise, which warns of a late bundle before any single item is late."""
    finished_at = state.finished_at
    if any(item.light is Light.RED for item in state.items) or (finished_at or now) > promised_at:
        return Light.RED
    if finished_at is None and (
        forecast_at > promised_at or any(item.light is Light.YELLOW and not item.finished for item in state.items)
    ):
        return Light.YELLOW
    return Light.GREEN
