"""An in-memory CaseGateway for the fast tier: the case engine's edge, scripted by the test.

It decides nothing of its own: every message is recorded in `sent`, and what the workflow answers is what
the test scripted with `answer()` (accept unless told otherwise). Refusals are raised as the same domain
errors `TemporalCaseGateway` raises for the same Temporal answer, so services and routers see what they
would see in production. A case it was never started with (nor given by `put`) is not found, like a
workflow id Temporal does not know.

Given an engine, it also plays the projection activity: every state it holds is written with
`persistence.cases.project_case`, so the read endpoints show the case. The states are plausible, not the
workflow's (deadlines in calendar days, no SLA figures): the fast workflow tier tests the real course.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from pydantic import BaseModel
from sqlalchemy import create_engine
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool

from one_things.schema import IntegrationMode
from persistence.cases import project_case
from persistence.db import session_scope
from services.case_gateway import CaseGateway, Delivery, DeliveryReceipt, result_refused
from services.errors import ConflictError, DomainError, NotFoundError, UnavailableError
from workflows.contracts import (
    BundleInput,
    CaseState,
    CaseStatus,
    DepartmentCallback,
    Holder,
    ItemApplication,
    ItemState,
    ItemStatus,
    StaffDecision,
    SupervisorEscalation,
    Supplement,
    Withdrawal,
)
from workflows.item import item_payload


class Method(StrEnum):
    START = "start"
    SUPPLEMENT = "supplement"
    WITHDRAW = "withdraw"
    DECIDE = "decide"
    DEPARTMENT_RESULT = "department_result"
    ESCALATE = "escalate"


class Outcome(StrEnum):
    ACCEPT = "accept"
    REFUSE = "refuse"
    """The workflow's validator refuses: ConflictError with the reason (a department result: InvalidError, for good)."""
    TOO_EARLY = "too_early"
    """A department result for an item not yet submitted: ConflictError, the sender tries again later."""
    IGNORE = "ignore"
    """A department result the case no longer expects (a repeat, a closed case): Delivery.IGNORED."""
    NOT_FOUND = "not_found"
    UNAVAILABLE = "unavailable"
    """Temporal cannot be reached: UnavailableError."""


@dataclass(frozen=True)
class Answer:
    outcome: Outcome
    reason: str = ""


@dataclass(frozen=True)
class Sent:
    method: Method
    case_no: str
    message: BaseModel


ACCEPT = Answer(Outcome.ACCEPT)
LOCK_WAIT_SECONDS = 2


@dataclass
class FakeCaseGateway:
    engine: Engine | None = None
    """Where to project the cases' states; None keeps them in memory only."""
    now: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    sent: list[Sent] = field(default_factory=list)
    """Every message the services sent, in order, whatever the answer."""
    states: dict[str, CaseState] = field(default_factory=dict)
    """The cases the engine knows, by case number."""
    answers: dict[Method, Answer] = field(default_factory=dict)
    _sqlite: Engine | None = field(default=None, repr=False)

    # --- scripting and reading ---------------------------------------------------------------------

    def answer(self, method: Method, outcome: Outcome, reason: str = "") -> None:
        """From now on the workflow answers `method` so (ACCEPT restores the default)."""
        self.answers[method] = Answer(outcome, reason)

    def messages(self, method: Method, case_no: str | None = None) -> list[Any]:
        return [s.message for s in self.sent if s.method is method and case_no in (None, s.case_no)]

    @property
    def started(self) -> list[BundleInput]:
        """Every start request, repeats included (a repeat re-starts the same case number: a no-op)."""
        return self.messages(Method.START)

    async def put(self, case_no: str, item_code: str | None = None, **changes: Any) -> CaseState:
        """Arranges what the workflow would have reached (an item's status, holder…) and projects it."""
        state = self.states[case_no]
        if item_code is None:
            state = state.model_copy(update=changes)
        else:
            items = [i.model_copy(update=changes) if i.code == item_code else i for i in state.items]
            state = state.model_copy(update={"items": items})
        return await self._save(state)

    # --- the CaseGateway protocol ------------------------------------------------------------------

    async def start(self, bundle: BundleInput) -> None:
        self.sent.append(Sent(Method.START, bundle.case_no, bundle))
        answer = self.answers.get(Method.START, ACCEPT)
        if answer.outcome is Outcome.UNAVAILABLE:
            raise UnavailableError(
                f"Case {bundle.case_no} could not be started just now; send the same request again "
                "with the same Idempotency-Key and it will continue.",
                case_no=bundle.case_no,
            )
        if bundle.case_no not in self.states:  # an existing id is used, not started twice
            await self._save(initial_state(bundle))

    async def supplement(self, case_no: str, supplement: Supplement) -> CaseState:
        state = self._answer(Method.SUPPLEMENT, case_no, supplement)
        item = state.item(supplement.item_code)
        if item.status is ItemStatus.WAITING_CITIZEN:
            item = _resumed(item)
        return await self._save(_with_item(state, item))

    async def withdraw(self, case_no: str, withdrawal: Withdrawal) -> CaseState:
        state = self._answer(Method.WITHDRAW, case_no, withdrawal)
        now = self.now()
        items = [
            item if item.finished else item.model_copy(update={"status": ItemStatus.WITHDRAWN, "holder": None})
            for item in state.items
        ]
        update = {"status": CaseStatus.WITHDRAWN, "finished_at": now, "reason": withdrawal.reason, "items": items}
        return await self._save(state.model_copy(update=update))

    async def decide(self, case_no: str, decision: StaffDecision) -> ItemState:
        state = self._answer(Method.DECIDE, case_no, decision)
        outcome = {"approve": "completed", "reject": "rejected", "correction": "correction_requested"}
        item = _decided(state.item(decision.item_code), outcome[decision.decision], decision.output, decision.reason)
        saved = await self._save(_with_item(state, item.model_copy(update={"finished_at": self._end(item)})))
        return saved.item(decision.item_code)

    async def department_result(self, case_no: str, result: DepartmentCallback) -> DeliveryReceipt:
        try:
            state = self._answer(Method.DEPARTMENT_RESULT, case_no, result)
        except _IgnoredError as ignored:
            return DeliveryReceipt(Delivery.IGNORED, ignored.reason)
        if state.status not in (CaseStatus.RUNNING, CaseStatus.WAITING_CITIZEN):
            return DeliveryReceipt(Delivery.IGNORED, f"case {case_no} is already closed")
        item = _decided(state.item(result.item_code), result.status, result.output, result.reason)
        item = item.model_copy(update={"receipt_no": result.receipt_no, "finished_at": self._end(item)})
        await self._save(_with_item(state, item))
        return DeliveryReceipt(Delivery.APPLIED, f"case {case_no} took the result")

    async def escalate(self, case_no: str, escalation: SupervisorEscalation) -> None:
        self._answer(Method.ESCALATE, case_no, escalation)

    async def item_application(self, case_no: str, item_code: str) -> ItemApplication:
        """The item's inputs from the form it started with and earlier items' outputs, as the workflow resolves them."""
        bundle = next((b for b in reversed(self.started) if b.case_no == case_no), None)
        if bundle is None or case_no not in self.states or item_code not in bundle.included:
            raise NotFoundError(f"Case {case_no} has no item {item_code}.", case_no=case_no)
        state = self.states[case_no]
        form = dict(bundle.form)
        for supplement in self.messages(Method.SUPPLEMENT, case_no):
            form.update(supplement.form)
        outputs = {item.code: item.output or {} for item in state.items}
        inputs = item_payload(bundle.thing.item(item_code), form, outputs, bundle.answers)
        return ItemApplication(item_code=item_code, round=state.item(item_code).round, inputs=inputs, form=form)

    # --- the engine's answers, as TemporalCaseGateway maps them -----------------------------------

    def _answer(self, method: Method, case_no: str, message: BaseModel) -> CaseState:
        """Records the message, then raises the scripted refusal or returns the case's state to change."""
        self.sent.append(Sent(method, case_no, message))
        answer = self.answers.get(method, ACCEPT)
        if answer.outcome is Outcome.ACCEPT and case_no not in self.states:
            answer = Answer(Outcome.NOT_FOUND)
        if answer.outcome is Outcome.ACCEPT:
            return self.states[case_no]
        if method is Method.DEPARTMENT_RESULT and answer.outcome is Outcome.IGNORE:
            raise _IgnoredError(answer.reason)
        raise _refusal(method, case_no, answer)

    def _end(self, item: ItemState) -> datetime | None:
        return self.now() if item.finished else None

    async def _save(self, state: CaseState) -> CaseState:
        state = state.model_copy(update={"seq": state.seq + 1, "as_of": self.now()})
        self.states[state.case_no] = state
        if self.engine is not None:
            # In a thread, as the worker's projection runs apart from the API's event loop.
            await asyncio.to_thread(self._project, state)
        return state

    def _project(self, state: CaseState) -> None:
        assert self.engine is not None
        try:
            with session_scope(self._writer()) as session:
                project_case(session, state=state, now=self.now())
        except OperationalError as error:
            if "locked" not in str(error):
                raise
            raise AssertionError(
                f"The projection of case {state.case_no} could not be written within {LOCK_WAIT_SECONDS} s: the "
                "caller holds a write transaction across a call into the case engine (DESIGN: no database "
                "connection is held across a Temporal call)."
            ) from error

    def _writer(self) -> Engine:
        """The worker's own connection to the same database; on SQLite it waits briefly for the write lock,
        so a caller that holds it fails in seconds rather than after the app's 30 s busy timeout."""
        assert self.engine is not None
        if self.engine.dialect.name != "sqlite":
            return self.engine
        if self._sqlite is None:
            url = self.engine.url
            self._sqlite = create_engine(url, poolclass=NullPool, connect_args={"timeout": LOCK_WAIT_SECONDS})
        return self._sqlite


class _IgnoredError(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _refusal(method: Method, case_no: str, answer: Answer) -> DomainError:
    if answer.outcome is Outcome.NOT_FOUND:
        return NotFoundError(f"There is no case {case_no}; check the case number.", case_no=case_no)
    if answer.outcome is Outcome.UNAVAILABLE:
        return UnavailableError("The case engine is not reachable; try again shortly.", retry_after=5)
    if method is not Method.DEPARTMENT_RESULT:
        return ConflictError(answer.reason, case_no=case_no)
    if answer.outcome is Outcome.TOO_EARLY:
        return ConflictError(f"{answer.reason}; send this result again later.", case_no=case_no)
    return result_refused(case_no, answer.reason)


def initial_state(bundle: BundleInput) -> CaseState:
    """The case as its workflow starts it: items without dependencies under way, the others pending."""
    items = []
    for item in bundle.thing.items:
        if item.code not in bundle.included:
            continue
        depends_on = [code for code in item.depends_on if code in bundle.included]
        state = ItemState(
            code=item.code,
            department=item.department,
            mode=item.mode,
            promised_days=item.promised_days,
            depends_on=depends_on,
        )
        if not depends_on:
            holder = Holder.STAFF if item.mode is IntegrationMode.STANDARD_MODULE else Holder.DEPARTMENT
            state = state.model_copy(
                update={
                    "status": ItemStatus.RUNNING,
                    "holder": holder,
                    "started_at": bundle.accepted_at,
                    "due_at": bundle.accepted_at + timedelta(days=item.promised_days),
                    "statutory_due_at": bundle.accepted_at + timedelta(days=item.statutory_days),
                }
            )
        items.append(state)
    return CaseState(
        case_no=bundle.case_no,
        thing=bundle.thing.code,
        version=bundle.thing.version,
        owner=bundle.owner,
        accepted_at=bundle.accepted_at,
        items=items,
    )


def _with_item(state: CaseState, item: ItemState) -> CaseState:
    return state.model_copy(update={"items": [item if i.code == item.code else i for i in state.items]})


def _resumed(item: ItemState) -> ItemState:
    holder = Holder.STAFF if item.mode is IntegrationMode.STANDARD_MODULE else Holder.DEPARTMENT
    update = {"status": ItemStatus.RUNNING, "holder": holder, "reason": None, "round": item.round + 1}
    return item.model_copy(update=update)


def _decided(item: ItemState, status: str, output: dict[str, str] | None, reason: str | None) -> ItemState:
    if status == "completed":
        return item.model_copy(update={"status": ItemStatus.COMPLETED, "holder": None, "output": output or {}})
    if status == "rejected":
        return item.model_copy(update={"status": ItemStatus.REJECTED, "holder": None, "reason": reason})
    return item.model_copy(update={"status": ItemStatus.WAITING_CITIZEN, "holder": Holder.CITIZEN, "reason": reason})


def _conforms(fake: FakeCaseGateway) -> CaseGateway:
    return fake  # mypy checks the fake against the protocol here
