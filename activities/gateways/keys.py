"""The departments' keys as the gateways need them: to sign what we hand over, to verify what we take."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.engine import Engine
from temporalio.exceptions import ApplicationError

from core.clock import Clock
from core.settings import Settings
from persistence.db import session_scope
from services.department_keys import signing_key, verifying_key


@dataclass(frozen=True)
class KeyRing:
    engine: Engine
    settings: Settings
    clock: Clock

    async def for_signing(self, department: str) -> tuple[str, bytes]:
        found = await asyncio.to_thread(self._signing, department)
        if found is None:
            # Retried: once an operator issues the key (onething departments keys issue) the batch goes out.
            raise ApplicationError(
                f"department {department} has no key to sign its batches with; issue one", type="DepartmentKeyMissing"
            )
        return found

    def verifying(self, department: str, key_id: str, now: datetime) -> bytes | None:
        """Blocking (a database read): call it from a thread."""
        with session_scope(self.engine) as session:
            return verifying_key(session, self.settings, department=department, key_id=key_id, now=now)

    def _signing(self, department: str) -> tuple[str, bytes] | None:
        with session_scope(self.engine) as session:
            return signing_key(session, self.settings, department=department)
