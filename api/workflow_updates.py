"""Running a workflow update for a client: a refusal by the workflow or a closed workflow is a 409."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any, TypeVar

from temporalio.client import WorkflowUpdateFailedError
from temporalio.service import RPCError

from api.problems import ProblemError

T = TypeVar("T")


async def run_update(call: Awaitable[T], *, closed: str, **extra: Any) -> T:
    """Awaits `call`; the validator's reason becomes the 409's detail, `closed` says what is already over."""
    try:
        return await call
    except WorkflowUpdateFailedError as error:
        detail = str(getattr(error.cause, "message", error.cause))
        raise ProblemError(409, "Not possible now", detail, **extra) from None
    except RPCError as error:
        if "not found" in str(error).lower() or "completed" in str(error).lower():
            raise ProblemError(409, "Not possible now", closed, **extra) from None
        raise ProblemError(
            503, "Service temporarily unavailable", "The case engine is not reachable; try again."
        ) from error
