"""The interface every integration mode implements."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import ClassVar

from temporalio.exceptions import ApplicationError

from activities.gateways.http import DepartmentHttp
from activities.gateways.keys import KeyRing
from activities.gateways.materials import MaterialsDesk
from core.clock import SYSTEM_CLOCK, Clock
from one_things.department_registry import DepartmentConnection
from one_things.schema import IntegrationMode
from workflows.contracts import DepartmentReply, EscalationNotice, Submission, SubmissionRef


class NotRegisteredError(ApplicationError):
    """The worker's registry does not name the department: retried, so fixing the registry (and restarting
    the worker) delivers the submission instead of losing it."""

    def __init__(self, department: str) -> None:
        super().__init__(
            f"department {department} is not in the department registry; add it (onething departments check)",
            type="DepartmentNotRegistered",
        )


@dataclass(frozen=True)
class GatewayContext:
    """What a worker process gives every gateway."""

    http: DepartmentHttp
    callback_base_url: str
    """The platform's public address, where departments post signed results."""
    materials: MaterialsDesk | None = None
    """Describes the submission's materials; None sends none (a gateway tested without a database)."""
    clock: Clock = SYSTEM_CLOCK
    """The worker's clock (a simulation's follows its time-skipping server)."""
    keys: KeyRing | None = None
    """The departments' keys (batch files); None for gateways that sign nothing."""

    def require_keys(self) -> KeyRing:
        assert self.keys is not None, "a worker's gateways always have the key ring"
        return self.keys


class DepartmentGateway(ABC):
    """How the platform reaches one department in one mode. Every method is safe to repeat: the submission's
    idempotency key (case, item, round) makes the department's effect happen once."""

    mode: ClassVar[IntegrationMode]

    def __init__(self, code: str, connection: DepartmentConnection, context: GatewayContext) -> None:
        self.code = code
        self.connection = connection
        self.context = context

    @property
    def results_by_callback(self) -> bool:
        """Whether an accepted batch submission's result is posted to the platform's callback rather than pulled
        (registry `batch_results`); the async mode's always is, and its workflow knows that from the mode."""
        return False

    @abstractmethod
    async def submit(self, submission: Submission) -> DepartmentReply:
        """Hand the submission over; the reply is final (sync) or `accepted` (the result comes later)."""

    @abstractmethod
    async def result(self, ref: SubmissionRef) -> DepartmentReply:
        """The submission's current state at the department (`accepted` while undecided)."""

    @abstractmethod
    async def withdraw(self, ref: SubmissionRef) -> DepartmentReply:
        """The citizen withdrew: the department stops (or keeps a decision already taken)."""

    @abstractmethod
    async def escalate(self, notice: EscalationNotice) -> None:
        """A supervisor's 督办 or an SLA breach, told to the department."""
