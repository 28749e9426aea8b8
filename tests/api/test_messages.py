"""Citizen notices through the real stack: inbox and the recorded SMS/e-mail of a real newborn case."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlmodel import Session

from activities.messages import RecordingTransport, deliver_message
from core.auth import Role
from one_things.catalog import load_catalog
from one_things.demo import demo_request
from persistence.db import make_engine
from persistence.messages import list_outgoing
from tests.support.people import held_personal_data
from tests.support.stack import Stack, running_stack
from tests.support.staff import approve_queue
from workflows.contracts import Message, MessageKind

pytestmark = pytest.mark.e2e

DEPARTMENTS = ("health", "public_security", "human_resources", "medical_insurance")


def application() -> dict[str, Any]:
    return demo_request(load_catalog().get("newborn"), date.today())


async def fast(stack: Stack) -> None:
    for department in DEPARTMENTS:
        await stack.configure(department, latency_ms=50, jitter_ms=0, batch_interval_ms=100)


async def inbox_until(citizen: httpx.AsyncClient, kinds: Counter[str], timeout: float = 60) -> dict[str, Any]:
    """Polls the inbox until it holds at least `kinds` (all notices are sent in the background)."""
    deadline = time.monotonic() + timeout
    body: dict[str, Any] = {}
    while time.monotonic() < deadline:
        body = (await citizen.get("/api/v1/messages")).json()
        if not kinds - Counter(message["kind"] for message in body["messages"]):
            return body
        await asyncio.sleep(0.2)
    raise AssertionError(f"inbox never held {kinds}; last seen {body}")


async def test_a_newborn_case_notifies_acceptance_each_result_and_the_end(dev_env, data_dir: Path) -> None:
    async with running_stack(dev_env.client, data_dir) as stack:
        await fast(stack)
        citizen = stack.as_user(Role.CITIZEN, "citizen-msg-1")
        other = stack.as_user(Role.CITIZEN, "citizen-msg-2")
        stop = asyncio.Event()
        clerk = asyncio.create_task(approve_queue(stack.as_user(Role.STAFF, "clerk", department="cdc"), stop))
        body = application()
        case_no = (await citizen.post("/api/v1/applications", json=body)).json()["case_no"]
        await stack.wait_case(citizen, case_no, {"completed"})
        stop.set()
        await clerk

        expected = Counter({"accepted": 1, "item_done": 5, "all_done": 1})
        inbox = await inbox_until(citizen, expected)
        messages = inbox["messages"]
        assert Counter(message["kind"] for message in messages) == expected
        assert inbox["unread"] == 7
        assert messages[0]["kind"] == "all_done"  # newest first
        assert messages[-1]["kind"] == "accepted"
        assert {m["item_code"] for m in messages if m["kind"] == "item_done"} == {
            "birth_certificate",
            "vaccination_certificate",
            "hukou_registration",
            "social_security_card",
            "medical_insurance",
        }
        assert all(case_no in m["body_zh"] and case_no in m["body_en"] for m in messages)

        # Only the owner sees or touches them.
        assert (await other.get("/api/v1/messages")).json() == {"messages": [], "unread": 0}
        first = messages[0]["id"]
        assert (await other.post(f"/api/v1/messages/{first}/read")).status_code == 404
        read = await citizen.post(f"/api/v1/messages/{first}/read")
        assert read.status_code == 200
        assert read.json()["read_at"] is not None
        assert (await citizen.post(f"/api/v1/messages/{first}/read")).status_code == 200  # again is harmless
        assert (await citizen.get("/api/v1/messages")).json()["unread"] == 6
        assert (await citizen.post("/api/v1/messages/999999/read")).status_code == 404

        # The development transport recorded one SMS and one e-mail per notice (sent by the worker's sender from
        # the queue the projection wrote), with no personal data.
        engine = make_engine(stack.settings.projection_url)
        deadline = time.monotonic() + 30
        while True:
            with Session(engine) as session:
                outgoing = list_outgoing(session, case_no=case_no)
            channels = Counter(row.channel for row in outgoing)
            if channels == Counter({"sms": 7, "email": 7}) or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.2)
        assert channels == Counter({"sms": 7, "email": 7})
        personal = held_personal_data(engine, "citizen-msg-1")
        for row in outgoing:
            assert row.owner == "citizen-msg-1"
            assert not any(value in row.text for value in personal)

        # An activity retry (or a replayed workflow) delivers the same business fact again: nothing is added.
        thing = load_catalog().get("newborn")
        again = Message(owner="citizen-msg-1", case_no=case_no, kind=MessageKind.ALL_DONE, thing_name=thing.name)
        assert deliver_message(engine, RecordingTransport(engine), again, now=datetime.now(UTC)) is False
        assert len((await citizen.get("/api/v1/messages")).json()["messages"]) == 7
        with Session(engine) as session:
            assert len(list_outgoing(session, case_no=case_no)) == 14


async def test_a_correction_request_is_notified_with_the_departments_reason(dev_env, data_dir: Path) -> None:
    async with running_stack(dev_env.client, data_dir) as stack:
        await fast(stack)
        await stack.configure("health", correction_rate=1.0, latency_ms=50, jitter_ms=0)
        citizen = stack.as_user(Role.CITIZEN, "citizen-msg-3")
        case_no = (await citizen.post("/api/v1/applications", json=application())).json()["case_no"]
        case = await stack.wait_case(citizen, case_no, {"waiting_citizen"})
        reason = next(item["reason"] for item in case["items"] if item["code"] == "birth_certificate")

        inbox = await inbox_until(citizen, Counter({"accepted": 1, "correction_needed": 1}))
        notice = next(m for m in inbox["messages"] if m["kind"] == "correction_needed")
        assert notice["item_code"] == "birth_certificate"
        assert reason in notice["body_zh"]
        assert reason in notice["body_en"]

        supplement = {"item_code": "birth_certificate", "form": {"birth_hospital": "复旦大学附属妇产科医院"}}
        assert (await citizen.post(f"/api/v1/applications/{case_no}/supplements", json=supplement)).status_code == 202
        inbox = await inbox_until(citizen, Counter({"accepted": 1, "correction_needed": 1, "item_done": 1}))
        kinds = Counter(message["kind"] for message in inbox["messages"])
        assert kinds["correction_needed"] == 1  # the resubmission in round 1 was not asked to correct again
