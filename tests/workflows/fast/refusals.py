"""What a refused update tells its sender."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any

import pytest
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError


async def refusal(update: Awaitable[Any]) -> ApplicationError:
    """Awaits an update the workflow's validator must refuse, and returns the failure its sender sees."""
    with pytest.raises(WorkflowUpdateFailedError) as failed:
        await update
    cause = failed.value.cause
    assert isinstance(cause, ApplicationError)
    return cause
