"""Citizen notices from OneThingWorkflow on the time-skipping server: when they go out, and that a
notice which cannot be sent never holds up or fails the case."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
from sqlmodel import Session, select
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities.messages import Outgoing
from activities.registry import build_activities
from core.activations import jobs_applied_as_one_batch
from core.workflow_runner import sandboxed_runner
from one_things.catalog import catalog_folder
from one_things.department_registry import load_registry
from one_things.live import LiveCatalog
from persistence.db import make_engine
from persistence.messages import InboxMessage, list_outgoing
from tests.support.histories import record_history
from tests.workflows.harness import Harness, definition, harness, until
from workflows.bundle import OneThingWorkflow
from workflows.contracts import StaffDecision, Supplement
from workflows.registry import WORKFLOWS


def inbox(h: Harness, case_no: str) -> list[tuple[str, str, int]]:
    with Session(make_engine(h.settings.projection_url)) as session:
        rows = session.exec(select(InboxMessage).where(InboxMessage.case_no == case_no)).all()
        return sorted((row.kind, row.item_code, row.round) for row in rows)


async def test_notices_follow_the_case_once_each(skipping_env: WorkflowEnvironment, data_dir: Path) -> None:
    async with harness(skipping_env, data_dir) as h:
        await h.configure("alpha", correction_rate=1.0)
        handle = await h.start(definition(), "MSG-1")
        await until(handle, lambda s: s.status == "waiting_citizen")
        await handle.execute_update(OneThingWorkflow.supplement, Supplement(item_code="first", form={"applicant": "B"}))
        await until(handle, lambda s: s.item("second").holder == "staff")
        await handle.execute_update(
            OneThingWorkflow.staff_decision,
            StaffDecision(item_code="second", decision="approve", output={"second_no": "B-1"}, staff="clerk"),
        )
        assert (await handle.result()).status == "completed"
        assert inbox(h, "MSG-1") == [
            ("accepted", "", 0),
            ("all_done", "", 0),
            ("correction_needed", "first", 0),
            ("item_done", "first", 1),
            ("item_done", "second", 0),
        ]
        # The projection queued each notice's SMS and e-mail; the worker's sender sends them, each once.
        deadline = time.monotonic() + 20
        while (channels := outgoing(h, "MSG-1")) != Counter({"sms": 5, "email": 5}):
            assert time.monotonic() < deadline, channels
            await asyncio.sleep(0.2)
        await record_history(handle, "case_messages_in_projection")


def outgoing(h: Harness, case_no: str) -> Counter[str]:
    with Session(make_engine(h.settings.projection_url)) as session:
        return Counter(row.channel for row in list_outgoing(session, case_no=case_no))


class BrokenGateway:
    def send(self, outgoing: Outgoing) -> None:
        raise ConnectionError("SMS gateway down")


async def test_a_notice_that_cannot_be_sent_never_fails_the_case(
    skipping_env: WorkflowEnvironment, data_dir: Path
) -> None:
    async with harness(skipping_env, data_dir) as h, httpx.AsyncClient() as http:
        engine = make_engine(h.settings.projection_url)
        activities = build_activities(
            http=http,
            engine=engine,
            catalog=LiveCatalog(catalog_folder(h.settings)),
            registry=load_registry(h.settings),
            settings=h.settings,
            api_url=h.settings.api_url,
            transport=BrokenGateway(),
        )
        queue = f"{h.settings.task_queue}-broken-gateway"
        with ThreadPoolExecutor(max_workers=4) as executor:
            async with jobs_applied_as_one_batch(
                Worker(
                    h.env.client,
                    task_queue=queue,
                    workflows=WORKFLOWS,
                    workflow_runner=sandboxed_runner(h.env.client.data_converter),
                    activities=activities,
                    activity_executor=executor,
                )
            ):
                h.settings = h.settings.model_copy(update={"task_queue": queue})
                handle = await h.start(definition(first={"mode": "standard_module"}), "MSG-BROKEN")
                await until(handle, lambda s: s.item("first").holder == "staff")
                await handle.execute_update(
                    OneThingWorkflow.staff_decision,
                    StaffDecision(item_code="first", decision="approve", output={"first_no": "A-1"}, staff="c"),
                )
                await until(handle, lambda s: s.item("second").holder == "staff")
                await handle.execute_update(
                    OneThingWorkflow.staff_decision,
                    StaffDecision(item_code="second", decision="approve", output={"second_no": "B-1"}, staff="c"),
                )
                result = await handle.result()
        assert result.status == "completed"
        # The inbox is ours and got every notice: the gateway is not on the case's path (its projection queues
        # the channels for the worker's sender; tests/persistence/test_message_outbox.py retries a failing one).
        assert [kind for kind, _code, _round in inbox(h, "MSG-BROKEN")].count("item_done") == 2
