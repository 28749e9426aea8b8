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
from sqlalchemy import Engine
from sqlmodel import Session
from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Replayer

from api.app import create_app as create_api
from core.ids import workflow_id
from one_things.answers import chosen
from one_things.catalog import load_catalog
from one_things.demo import demo_application
from one_things.forms import validate_form
from one_things.plan import Plan, make_plan
from one_things.schema import IntegrationMode, OneThing
from persistence.cases import get_case
from persistence.db import make_engine
from persistence.tables import CaseRecord, ItemRecord
from tests.support.histories import record_history
from tests.support.servers import TEMPORAL_TEST_SERVER, ThreadedServer
from tests.workflows.harness import Harness, harness
from workflows.bundle import OneThingWorkflow
from workflows.contracts import BundleInput, CaseState, Holder, ItemStatus, StaffDecision
from workflows.registry import WORKFLOWS

CATALOG = load_catalog()
LATENCY_MS = 0
"""Departments answer at once: a callback goes straight to the case's workflow, nothing to overtake."""
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
        if any((question.code, value) in excluded for value in chosen(base[question.code]))
        else base[question.code]
        for question in thing.questions
    }
    # A multi-select question's candidates are each option alone (and, above, its default).
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
    typed = demo_application(thing, today, plan.answers)["form"]  # the fields this branch's answers ask for
    form, problems = validate_form(thing, typed, today=today, answers=plan.answers)  # type: ignore[arg-type]
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
        OneThingWorkflow.run, bundle, id=workflow_id(case_no), task_queue=h.settings.task_queue
    )


def projected(engine: Engine, case_no: str) -> tuple[CaseRecord, list[ItemRecord]] | None:
    with Session(engine) as session:
        return get_case(session, case_no=case_no)


async def drive(engine: Engine, thing: OneThing, handle: WorkflowHandle[Any, CaseState], case_no: str) -> None:
    """Approves standard-module items as their staff would, until the case is over.

    Progress is read from the projection, as the staff queue reads it. The workflow is not queried: with
    queries polled while it ran, its history was seen to fail the replay check below now and then, which
    would blame the definition for a fault of the engine (reported to the lead with issue 5).
    """
    approved: set[str] = set()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        found = projected(engine, case_no)
        if found is not None and found[0].finished_at is not None:
            return
        for item in found[1] if found else []:
            if item.holder == Holder.STAFF and item.status == ItemStatus.RUNNING and item.code not in approved:
                output = {name: f"STAFF-{item.code}-{name}" for name in thing.item(item.code).outputs}
                decision = StaffDecision(item_code=item.code, decision="approve", output=output, staff="clerk-1")
                await handle.execute_update(OneThingWorkflow.staff_decision, decision)
                approved.add(item.code)
        await asyncio.sleep(0.05)
    raise AssertionError(f"{thing.code} case {case_no} did not finish; projected: {projected(engine, case_no)}")


@pytest.mark.parametrize("code", CATALOG.codes())
async def test_definition_completes_in_every_branch(catalog_stack: Harness, code: str) -> None:
    h, thing = catalog_stack, CATALOG.get(code)
    for department in thing.departments:
        await h.configure(department.code, latency_ms=LATENCY_MS, jitter_ms=0, batch_interval_ms=BATCH_INTERVAL_MS)
    plans = branches(thing)
    case_nos = [f"CAT-{code}-{n}" for n in range(len(plans))]
    handles = [await start(h, thing, plan, case_no) for plan, case_no in zip(plans, case_nos, strict=True)]
    # Only after every item is done is the result awaited: awaiting it earlier lets the test server skip
    # time, and the weeks-long SLA timers would fire while callbacks are still on their way.
    engine = make_engine(h.settings.projection_url)
    try:
        await asyncio.gather(*(drive(engine, thing, *pair) for pair in zip(handles, case_nos, strict=True)))
    finally:
        engine.dispose()
    records = (await h.stubs.get("/admin/records")).json()
    replayer = Replayer(workflows=WORKFLOWS, data_converter=h.env.client.data_converter)
    for plan, handle in zip(plans, handles, strict=True):
        result = await handle.result()
        assert result.status == "completed", (plan.answers, result.reason)
        assert [item.code for item in result.items] == plan.included, plan.answers
        for item in result.items:
            definition = thing.item(item.code)
            assert item.status is ItemStatus.COMPLETED
            assert item.output is not None
            assert sorted(item.output) == sorted(definition.outputs), item.code
            assert all(item.output.values()), item.code
        # No item started before what it waits for was done: depends_on, and depends_on_if_included when included.
        finished = {item.code: item.finished_at for item in result.items}
        for item in result.items:
            for dep in thing.item(item.code).waits_for:
                if dep in finished:
                    assert item.started_at is not None
                    assert finished[dep] is not None
                    assert item.started_at >= finished[dep], (plan.answers, item.code, dep)
        # An item reading a guidance answer was given the answer of this branch (queried once the case is closed).
        for included in plan.included:
            inputs = thing.item(included).inputs
            wanted = {n: s.removeprefix("answers.") for n, s in inputs.items() if s.startswith("answers.")}
            if wanted:
                application = await handle.query(OneThingWorkflow.item_application, included)
                assert {n: application.inputs[n] for n in wanted} == {n: plan.answers[q] for n, q in wanted.items()}
        # The departments heard of exactly the included items that go through their own systems.
        submitted = sorted(r["item_code"] for r in records if r["case_no"] == result.case_no)
        expected = sorted(c for c in plan.included if thing.item(c).mode is not IntegrationMode.STANDARD_MODULE)
        assert submitted == expected, plan.answers
        # Every shape of definition must also survive a worker restart: its history replays.
        await replayer.replay_workflow(await handle.fetch_history())
        if thing.code == "home_transfer" and plan.answers["utilities"] == ["water", "power", "gas", "broadband"]:
            # A conditional dependency waited for and left out, kept for the replay test (tests/histories).
            await record_history(handle, f"home_transfer_mortgage_{plan.answers['has_mortgage']}")
