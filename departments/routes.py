"""The stable HTTP contract of the department stubs (docs/departments.md)."""

from __future__ import annotations

import asyncio
import logging
import random
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Annotated, Any

import httpx
from fastapi import APIRouter, Body, Depends, Request
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from sqlalchemy.engine import Engine

from departments import materials, store
from departments.batch import BatchProcessor
from departments.behaviour import DepartmentBehaviour, StubConfig
from departments.callbacks import CallbackDispatcher, decide_record
from departments.clock import StubClock
from departments.models import (
    ClockIn,
    ClockOut,
    EscalationIn,
    EscalationOut,
    MaterialOut,
    RecordOut,
    RecordWithDepartment,
    StubRecord,
    SubmissionIn,
    SubmissionOut,
    as_utc,
)
from departments.problems import ProblemError

log = logging.getLogger("onething.departments")
router = APIRouter()


@dataclass
class StubState:
    engine: Engine
    config: StubConfig
    clock: StubClock
    dispatcher: CallbackDispatcher
    batch: BatchProcessor
    http: httpx.AsyncClient
    """The department's own outbound client: it downloads the materials submissions point to."""
    # Unseeded on purpose: failures and jitter must differ between a call and its retry.
    chaos: random.Random = field(default_factory=random.Random)


def _state(request: Request) -> StubState:
    state: StubState = request.app.state.stub
    return state


State = Annotated[StubState, Depends(_state)]


def _open_for_business(department: str, request: Request) -> None:
    """During a configured outage every business call of that department gets 503 + Retry-After."""
    state = _state(request)
    now = state.clock.now()
    outage = state.config.behaviour(department).outage_at(now)
    if outage is not None:
        if not outage.announced:
            raise ProblemError(
                503, "department-outage", "Department system unavailable", f"Department {department} is down."
            )
        seconds = outage.retry_after(now)
        raise ProblemError(
            503,
            "department-outage",
            "Department system unavailable",
            f"Department {department} is in a scheduled outage until {outage.end.isoformat()}; retry after it.",
            headers={"Retry-After": str(seconds)},
        )


business = APIRouter(dependencies=[Depends(_open_for_business)])


def _not_found(department: str, key: str) -> ProblemError:
    return ProblemError(
        404,
        "unknown-submission",
        "Unknown submission",
        f"Department {department} has no submission with idempotency_key {key!r}; "
        "check the key or POST the submission first.",
    )


def _latency(behaviour: DepartmentBehaviour, mode: str, chaos: random.Random) -> timedelta:
    """The system's latency, plus the people's handling time where the answer does not wait in the call."""
    jitter = chaos.uniform(-behaviour.jitter_ms, behaviour.jitter_ms) if behaviour.jitter_ms else 0.0
    system = timedelta(milliseconds=max(0.0, behaviour.latency_ms + jitter))
    return system if mode == "sync_rest" else system + behaviour.handling_time(chaos)


def _simulated_failure(stored: bool) -> ProblemError:
    where = "after storing your submission" if stored else "before storing your submission"
    return ProblemError(
        500,
        "simulated-failure",
        "Simulated department failure",
        f"The department system failed {where} (failure_rate); retry with the same idempotency_key.",
    )


@business.post("/departments/{department}/submissions")
async def submit(department: str, body: SubmissionIn, state: State) -> SubmissionOut:
    if body.mode == "async_callback" and not body.callback_url:
        raise ProblemError(
            422,
            "invalid-request",
            "callback_url is required",
            "Fix the field callback_url: mode async_callback needs the URL the decision is POSTed to.",
        )
    behaviour = state.config.behaviour(department)
    fail = state.chaos.random() < behaviour.failure_rate
    fail_after_storing = fail and state.chaos.random() < 0.5
    if fail and not fail_after_storing:
        raise _simulated_failure(stored=False)
    received = []
    if body.materials and not materials.already_received(state.engine, department=department, key=body.idempotency_key):
        received = [await materials.receive(state.http, material) for material in body.materials]
    now = state.clock.now()
    decide_at = now + _latency(behaviour, body.mode, state.chaos)
    try:
        record, created = store.record_submission(
            state.engine, department=department, body=body, now=now, decide_at=decide_at
        )
    except store.KeyReusedError as error:
        raise ProblemError(
            422,
            "idempotency-key-reused",
            "Idempotency key reused for different work",
            f"idempotency_key {body.idempotency_key!r} was first used for case {error.record.case_no}, item "
            f"{error.record.item_code}, mode {error.record.mode}; use a new key for different work.",
        ) from None
    if received:
        materials.keep(state.engine, department=department, key=body.idempotency_key, rows=received, now=now)
    log.info(
        "submission %s %s mode=%s %s (submissions=%d)",
        department,
        record.receipt_no,
        body.mode,
        "stored" if created else "repeated",
        record.submissions,
    )
    if record.mode == "sync_rest" and record.status == "accepted" and record.id is not None:
        # A repeat of an unfinished sync call waits for the same moment and gets the same decision.
        await state.clock.wait_until(as_utc(record.decide_at))
        record = decide_record(state.engine, state.config, record.id, state.clock.now())
    elif record.mode == "async_callback":
        state.dispatcher.ensure(record)
    if fail_after_storing:
        raise _simulated_failure(stored=True)
    return SubmissionOut.of(record)


@business.get("/departments/{department}/submissions/{idempotency_key}")
async def get_submission(department: str, idempotency_key: str, state: State) -> SubmissionOut:
    record = store.get_record(state.engine, department=department, key=idempotency_key)
    if record is None:
        raise _not_found(department, idempotency_key)
    return SubmissionOut.of(record)


@business.post("/departments/{department}/submissions/{idempotency_key}/withdraw")
async def withdraw(department: str, idempotency_key: str, state: State) -> SubmissionOut:
    record = store.withdraw(state.engine, department=department, key=idempotency_key, now=state.clock.now())
    state.dispatcher.cancel(record.id)
    log.info("withdrawal %s %s -> %s", department, record.receipt_no, record.status)
    return SubmissionOut.of(record)


@business.post("/departments/{department}/escalations")
async def escalate(department: str, body: EscalationIn, state: State) -> EscalationOut:
    row = store.record_escalation(state.engine, department=department, now=state.clock.now(), **body.model_dump())
    log.warning(
        "escalation %s case=%s item=%s level=%s (notices=%d)",
        department,
        row.case_no,
        row.item_code,
        row.level,
        row.notices,
    )
    return EscalationOut.model_validate(row, from_attributes=True)


@router.get("/admin/{department}/escalations")
async def list_escalations(department: str, state: State) -> list[EscalationOut]:
    rows = store.list_escalations(state.engine, department=department)
    return [EscalationOut.model_validate(row, from_attributes=True) for row in rows]


@router.get("/admin/{department}/materials")
async def department_materials(department: str, state: State) -> list[MaterialOut]:
    """What the department received of its submissions' materials: digests and sizes, never the content."""
    rows = materials.list_materials(state.engine, department=department)
    return [MaterialOut.model_validate(row, from_attributes=True) for row in rows]


@router.get("/admin/records")
async def all_records(state: State) -> list[RecordWithDepartment]:
    return [RecordWithDepartment.model_validate(r, from_attributes=True) for r in store.list_records(state.engine)]


@router.get("/admin/{department}/records")
async def department_records(department: str, state: State) -> list[RecordOut]:
    records: list[StubRecord] = store.list_records(state.engine, department=department)
    return [RecordOut.model_validate(r, from_attributes=True) for r in records]


@router.get("/admin/{department}/config")
async def get_config(department: str, state: State) -> DepartmentBehaviour:
    return state.config.behaviour(department)


@router.put("/admin/{department}/config")
async def put_config(department: str, update: Annotated[dict[str, Any], Body()], state: State) -> DepartmentBehaviour:
    # Validated here rather than by a typed body so the fields left out fall back to the defaults.
    try:
        behaviour = state.config.replace(department, update)
    except ValidationError as error:
        raise RequestValidationError(error.errors(include_input=False)) from None
    log.info("config of %s replaced: %s", department, sorted(update))
    return behaviour


@router.get("/admin/clock")
async def get_clock(state: State) -> ClockOut:
    return _clock_view(state)


@router.put("/admin/clock")
async def put_clock(body: ClockIn, state: State) -> ClockOut:
    """Moves the simulated clock (never back); the batch runs now due are done before the answer."""
    state.clock.move_to(body.now)
    await state.batch.run_due()
    return _clock_view(state)


def _clock_view(state: StubState) -> ClockOut:
    now = state.clock.now()
    return ClockOut(
        now=now, simulated=state.clock.simulated, callbacks_owed=store.callbacks_owed(state.engine, now=now)
    )


@router.get("/healthz")
async def healthz(state: State) -> dict[str, str]:
    await asyncio.to_thread(store.ping, state.engine)  # healthy means the database answers too
    return {"status": "ok"}


router.include_router(business)
