"""Every catalogue definition runs end to end, in every guidance branch that changes its items.

"A new one-thing is a new YAML file" holds only if each file in the catalogue really completes in the
generic workflow against departments nobody wrote code for. Each definition is one test: its branches
start as concurrent cases on the time-skipping server, with the real worker, the generic department
stub (any department code, any output name) and the real API receiving the stub's signed callbacks.
Items of the standard handling module are approved through the staff update, as a clerk would.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import date
from typing import Any

import pytest
from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from api.app import create_app as create_api
from core.ids import workflow_id
from one_things.catalog import load_catalog
from one_things.demo import demo_application
from one_things.forms import validate_form
from one_things.plan import Plan, make_plan
from one_things.schema import IntegrationMode, OneThing
from tests.support.servers import TEMPORAL_TEST_SERVER, ThreadedServer
from tests.workflows.harness import Harness, harness
from workflows.bundle import OneThingWorkflow
from workflows.contracts import BundleInput, CaseState, Holder, ItemStatus, StaffDecision

CATALOG = load_catalog()
# A little latency, not none: an async callback must not overtake the case's first projection write,
# which the callback endpoint reads to check that the item belongs to the case.
LATENCY_MS = 50
BATCH_INTERVAL_MS = 50


def ruled_out(thing: OneThing) -> set[tuple[str, str]]:
    """(question, answer) pairs that make the applicant ineligible: they apply item by item, not here."""
    return {(rule.question, value) for rule in thing.eligibility if rule.question for value in rule.not_in}


def branches(thing: OneThing) -> list[Plan]:
    """One plan per distinct set of included items, reached by trying every eligible option of every
    question on top of the demo answers (defaults, else first options)."""
    base = demo_application(thing, date.today())["answers"]
    assert isinstance(base, dict)
    excluded = ruled_out(thing)
    base = {
        question.code: next(o.value for o in question.options if (question.code, o.value) not in excluded)
        if (question.code, base[question.code]) in excluded
        else base[question.code]
        for question in thing.questions
    }
    candidates = [base] + [
        {**base, question.code: option.value}
        for question in thing.questions
        for option in question.options
        if (question.code, option.value) not in excluded
    ]
    plans: dict[frozenset[str], Plan] = {}
    for answers in candidates:
        plan = make_plan(thing, answers)
        plans.setdefault(frozenset(plan.included), plan)
    return list(plans.values())


def test_every_definition_with_questions_branches() -> None:
    # Guidance that never changes the items would be a form field, not a question (情形引导).
    for thing in CATALOG.all():
        if thing.questions:
            assert len(branches(thing)) >= 2, thing.code


@pytest.fixture(scope="module")
async def catalog_stack(tmp_path_factory: pytest.TempPathFactory, converter: Any) -> AsyncIterator[Harness]:
    """One time-skipping server, worker, stub and API for all definitions: starting them per test
    would cost more than running the cases."""
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=str(TEMPORAL_TEST_SERVER), data_converter=converter
    )
    try:
        async with harness(env, tmp_path_factory.mktemp("catalog")) as h:
            with ThreadedServer(create_api(h.settings), port=h.settings.api_port):
                yield h
    finally:
        await env.shutdown()


async def start(h: Harness, thing: OneThing, plan: Plan, case_no: str) -> WorkflowHandle[Any, CaseState]:
    today = date.today()
    form, problems = validate_form(thing, demo_application(thing, today)["form"], today=today)  # type: ignore[arg-type]
    assert problems == []
    bundle = BundleInput(
        case_no=case_no,
        thing=thing,
        included=plan.included,
        answers=plan.answers,
        form=form,
        owner="catalog-tester",
        accepted_at=await h.env.get_current_time(),
    )
    return await h.env.client.start_workflow(
        OneThingWorkflow.run, bundle, id=workflow_id(thing.code, case_no), task_queue=h.settings.task_queue
    )


async def drive(thing: OneThing, handle: WorkflowHandle[Any, CaseState], timeout: float = 30) -> CaseState:
    """Approves standard-module items as their staff would, until the case is over."""
    deadline = time.monotonic() + timeout
    while True:
        state = await handle.query(OneThingWorkflow.status)
        if state.finished_at is not None:
            return state
        for item in state.items:
            if item.holder is Holder.STAFF and item.status is ItemStatus.RUNNING:
                output = {name: f"STAFF-{item.code}-{name}" for name in thing.item(item.code).outputs}
                decision = StaffDecision(item_code=item.code, decision="approve", output=output, staff="clerk-1")
                await handle.execute_update(OneThingWorkflow.staff_decision, decision)
        if time.monotonic() > deadline:
            raise AssertionError(f"{thing.code} did not finish; state: {state.model_dump_json(indent=1)}")
        await asyncio.sleep(0.05)


@pytest.mark.parametrize("code", CATALOG.codes())
async def test_definition_completes_in_every_branch(catalog_stack: Harness, code: str) -> None:
    h, thing = catalog_stack, CATALOG.get(code)
    for department in thing.departments:
        await h.configure(department.code, latency_ms=LATENCY_MS, jitter_ms=0, batch_interval_ms=BATCH_INTERVAL_MS)
    plans = branches(thing)
    handles = [await start(h, thing, plan, f"CAT-{code}-{n}") for n, plan in enumerate(plans)]
    # Only after every item is done is the result awaited: awaiting it earlier lets the test server skip
    # time, and the weeks-long SLA timers would fire while callbacks are still on their way.
    finals = await asyncio.gather(*(drive(thing, handle) for handle in handles))
    records = (await h.stubs.get("/stub/records")).json()
    for plan, handle, final in zip(plans, handles, finals, strict=True):
        result = await handle.result()
        assert final.status == result.status == "completed", (plan.answers, result.reason)
        assert [item.code for item in result.items] == plan.included, plan.answers
        for item in result.items:
            definition = thing.item(item.code)
            assert item.status is ItemStatus.COMPLETED
            assert item.output is not None
            assert sorted(item.output) == sorted(definition.outputs), item.code
            assert all(item.output.values()), item.code
        # The departments heard of exactly the included items that go through their own systems.
        submitted = sorted(r["item_code"] for r in records if r["case_no"] == result.case_no)
        expected = sorted(c for c in plan.included if thing.item(c).mode is not IntegrationMode.STANDARD_MODULE)
        assert submitted == expected, plan.answers
