"""`onething db repair-projection`: a case row left behind its completed workflow (as a worker killed mid-task left
one before the write order of persistence/write_order.py) is written from the workflow's final state, once; rows it
has no final state for are named and left alone. Real dev server, stubs, API and worker; the command in a process
of its own, as an operator runs it."""

from __future__ import annotations

import asyncio
import os
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from core.auth import Role
from core.settings import Settings
from persistence.cases import get_case, record_accepted_case
from persistence.db import make_engine
from persistence.messages import InboxMessage
from tests.api.test_ratings import _json, completed_case, poll, rating
from tests.e2e.test_batch_callback import newborn
from tests.support.db import process_environment
from tests.support.stack import running_stack

pytestmark = pytest.mark.e2e

NEVER_STARTED = "20261207-NOWF0001"
"""A row the outbox has not started a workflow for (or whose workflow is past retention)."""


async def repair_projection(settings: Settings, *arguments: str) -> str:
    environment = {
        **os.environ,
        **process_environment(settings),
        "ONETHING_TEMPORAL_ADDRESS": settings.temporal_address,
        "ONETHING_TEMPORAL_NAMESPACE": settings.temporal_namespace,
    }
    command = ["-c", "from cli.main import main; main()", "db", "repair-projection", *arguments]
    process = await asyncio.create_subprocess_exec(
        sys.executable, *command, env=environment, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await process.communicate()
    assert process.returncode == 0, err.decode()
    return out.decode()


def case_row(engine: Engine, case_no: str) -> tuple[str, int, dict[str, str]]:
    """The row's status and history length, and each item's status, as pages read them."""
    with Session(engine) as session:
        found = get_case(session, case_no=case_no)
        assert found is not None
        case, items = found
        return case.status, case.history_length, {item.code: item.status for item in items}


def leave_behind(engine: Engine, case_no: str, item_code: str) -> None:
    """The row as the old order left it: the last write before the lost task's (one item still running), the
    final write refused as a repeat of its seq, and no history length (a release before it was stored)."""
    with engine.begin() as connection:
        key = {"case_no": case_no, "item": item_code}
        connection.execute(
            text(
                "UPDATE cases SET status = 'running', finished_at = NULL, history_length = 0 WHERE case_no = :case_no"
            ),
            key,
        )
        connection.execute(
            text(
                "UPDATE case_items SET status = 'running', finished_at = NULL, output = NULL "
                "WHERE case_no = :case_no AND code = :item"
            ),
            key,
        )
    with Session(engine) as session:
        record_accepted_case(
            session,
            case_no=NEVER_STARTED,
            thing="newborn",
            version=1,
            owner="citizen-repair",
            accepted_at=datetime.now(UTC),
        )
        session.commit()


def all_done_notices(engine: Engine, case_no: str) -> int:
    with Session(engine) as session:
        kinds = session.exec(select(InboxMessage.kind).where(InboxMessage.case_no == case_no)).all()
        return kinds.count("all_done")


async def test_a_row_left_behind_its_completed_workflow_is_written_once_and_others_are_left_alone(
    dev_env, data_dir: Path
) -> None:  # type: ignore[no-untyped-def]
    async with running_stack(dev_env.client, data_dir) as stack:
        citizen, case_no, stop, clerk = await newborn(stack, "citizen-repair")
        await stack.wait_case(citizen, case_no, {"completed"})
        stop.set()
        await clerk
        await citizen.aclose()
        settings = stack.settings
        engine = make_engine(settings.projection_url)
        try:
            await check_repair(settings, engine, case_no)
        finally:
            engine.dispose()


async def check_repair(settings: Settings, engine: Engine, case_no: str) -> None:
    completed = case_row(engine, case_no)
    assert all_done_notices(engine, case_no) == 1

    leave_behind(engine, case_no, "medical_insurance")
    dry = await repair_projection(settings, "--dry-run")
    assert f"behind their completed workflow: {case_no}" in dry
    assert f"no workflow (not started yet, or past retention): left as they are: {NEVER_STARTED}" in dry
    assert case_row(engine, case_no)[0] == "running"  # a dry run writes nothing

    wrote = await repair_projection(settings)
    assert "2 unfinished cases checked; wrote the final state of 1" in wrote
    status, history_length, items = case_row(engine, case_no)
    assert (status, items) == (completed[0], completed[2])
    assert history_length > 0  # ordered after every write of the run
    assert all_done_notices(engine, case_no) == 1  # the citizen is not told twice
    assert case_row(engine, NEVER_STARTED)[0] == "running"  # no final state to write: left as accepted

    again = await repair_projection(settings)
    assert "1 unfinished cases checked; wrote the final state of 0" in again


async def test_a_rectification_left_behind_its_completed_workflow_is_written_from_it(dev_env, data_dir: Path) -> None:  # type: ignore[no-untyped-def]
    async with running_stack(dev_env.client, data_dir) as stack:
        citizen = stack.as_user(Role.CITIZEN, "citizen-repair-rating")
        health = stack.as_user(Role.STAFF, "clerk-health-repair", department="health")
        case_no = await completed_case(stack, citizen)
        rated = await citizen.post(f"/api/v1/applications/{case_no}/rating", json=rating(health=1))
        assert rated.status_code == 201, rated.text
        listing = f"/api/v1/applications/{case_no}/rectifications"
        [row] = await poll(lambda: _json(citizen.get(listing)), lambda rows: len(rows) == 1)
        reply = await health.post(f"/api/v1/staff/rectifications/{row['id']}/reply", json={"text": "已优化出证流程"})
        assert reply.status_code == 200, reply.text
        assert (await citizen.post(f"{listing}/health/confirm", json={"note": "收到了"})).status_code == 200
        await asyncio.wait_for(dev_env.client.get_workflow_handle(row["id"]).result(), timeout=30)
        await poll(lambda: _json(citizen.get(listing)), lambda rows: rows[0]["status"] == "confirmed")

        engine = make_engine(stack.settings.projection_url)
        try:
            with engine.begin() as connection:  # the last write before a lost task's, from a release without lengths
                connection.execute(
                    text(
                        "UPDATE rectifications SET status = 'replied', closed_at = NULL, history_length = 0 "
                        "WHERE id = :id"
                    ),
                    {"id": row["id"]},
                )
            assert (await _json(citizen.get(listing)))[0]["status"] == "replied"
            wrote = await repair_projection(stack.settings)
            assert "1 unfinished rectifications checked; wrote the final state of 1" in wrote
            assert f"behind their completed workflow: {row['id']}" in wrote
            [repaired] = await _json(citizen.get(listing))
            assert (repaired["status"], [r["text"] for r in repaired["replies"]]) == ("confirmed", ["已优化出证流程"])
            again = await repair_projection(stack.settings)
            assert "0 unfinished rectifications checked; wrote the final state of 0" in again
        finally:
            engine.dispose()
        for client in (citizen, health):
            await client.aclose()
