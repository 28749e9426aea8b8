"""Recording workflow histories for the replay test: `ONETHING_RECORD_HISTORIES=1 pytest tests/workflows tests/e2e`.

Re-record only when a change is meant to be incompatible; otherwise guard the change with
`workflow.patched()` so the committed histories keep replaying.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from temporalio.client import WorkflowHandle

HISTORIES = Path(__file__).resolve().parent.parent / "histories"


async def record_history(handle: WorkflowHandle[Any, Any], name: str) -> None:
    if not os.environ.get("ONETHING_RECORD_HISTORIES"):
        return
    history = await handle.fetch_history()
    (HISTORIES / f"{name}.json").write_text(history.to_json(), encoding="utf-8")
