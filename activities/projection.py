"""Writes case state into the SQL projection; run as a local activity so it adds no task-queue round trip."""

from __future__ import annotations

from sqlalchemy.engine import Engine
from temporalio import activity

from persistence.cases import project_case
from persistence.db import session_scope
from persistence.licences import issue_case_licences
from workflows.contracts import CaseState


class ProjectionActivities:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    @activity.defn
    def project_case_state(self, state: CaseState) -> bool:
        with session_scope(self._engine) as session:
            applied = project_case(session, state=state)
            # Results reach the wallet in the same transaction as the case, so no extra activity runs
            # and a retried or replayed write finds them there (issuing is idempotent, not seq-gated).
            issue_case_licences(session, state=state)
            return applied
