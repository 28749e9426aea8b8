"""Writes rectification state into the SQL projection; a regular activity, like the case projection."""

from __future__ import annotations

from sqlalchemy.engine import Engine
from temporalio import activity

from core.clock import SYSTEM_CLOCK, Clock
from persistence.db import session_scope
from persistence.rectifications import project_rectification as project
from workflows.contracts import RectificationState


class RectificationActivities:
    def __init__(self, engine: Engine, clock: Clock = SYSTEM_CLOCK) -> None:
        self._engine = engine
        self._clock = clock

    @activity.defn
    def project_rectification(self, state: RectificationState) -> bool:
        with session_scope(self._engine) as session:
            return project(session, state=state, now=self._clock.now())
