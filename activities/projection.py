"""Writes case state into the SQL projection; run as a local activity so it adds no task-queue round trip."""

from __future__ import annotations

from sqlalchemy.engine import Engine
from temporalio import activity

from persistence.cases import project_case
from persistence.db import session_scope
from workflows.contracts import CaseState


class ProjectionActivities:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    @activity.defn
    def project_case_state(self, state: CaseState) -> bool:
        with session_scope(self._engine) as session:
            return project_case(session, state=state)
