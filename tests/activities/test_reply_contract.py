"""A department's synchronous or batch reply is held to the contract a signed callback is held to: an item
cannot be completed without its declared outputs, whatever the integration mode; and a call in flight
heartbeats. Real HTTP to a department written for the test; the activity runs in the SDK's activity
environment."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.call_log import CallLog
from activities.departments import REPLY_BROKEN, DepartmentActivities
from activities.gateways import DepartmentHttp, GatewayContext, Gateways
from one_things.schema import IntegrationMode
from tests.activities.test_gateways import registry, submission
from tests.support.db import migrated_engine
from tests.support.servers import ThreadedServer
from workflows.contracts import DepartmentReply, SubmissionRef


class Answering:
    """A department system that answers every call with `reply` (the key filled in from the call)."""

    def __init__(self) -> None:
        self.reply: dict[str, Any] = {}
        self.delay = 0.0
        self.submitted: list[dict[str, Any]] = []

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/gov/police/submissions")
        async def submit(body: dict[str, Any]) -> dict[str, Any]:
            self.submitted.append(body)
            await asyncio.sleep(self.delay)
            return {"receipt_no": "R-1", "idempotency_key": body["idempotency_key"], **self.reply}

        @app.get("/gov/police/submissions/{key}")
        async def pull(key: str) -> dict[str, Any]:
            return {"receipt_no": "R-1", "idempotency_key": key, **self.reply}

        return app


@pytest.fixture
def police(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Answering, str]]:
    monkeypatch.setenv("POLICE_TOKEN", "t0ken")
    system = Answering()
    with ThreadedServer(system.app()) as server:
        yield system, server.url


async def run(
    url: str,
    tmp_path: Path,
    call: str,
    argument: Any,
    environment: ActivityEnvironment | None = None,
    batch_results: str = "pull",
) -> DepartmentReply:
    async with httpx.AsyncClient() as client:
        # No exchange folder: the batch mode goes over the contract's POST and GET.
        plain = registry(url)
        police = plain.departments["police"].model_copy(update={"batch": None, "batch_results": batch_results})
        plain = plain.model_copy(update={"departments": {**plain.departments, "police": police}})
        gateways = Gateways(plain, GatewayContext(DepartmentHttp(client), "https://platform.example"))
        call_log = CallLog(migrated_engine(tmp_path))
        activities = DepartmentActivities(gateways, call_log)
        method = getattr(activities, call)
        try:
            result: DepartmentReply = await (environment or ActivityEnvironment()).run(method, argument)
        finally:
            await call_log.drain()
        return result


SUBMIT = "submit_to_department"
PULL = "await_batch_result"
REF = SubmissionRef(department="police", idempotency_key="C1:hukou", item_code="hukou", outputs=["hukou_no"])


@pytest.mark.parametrize(
    ("reply", "rule"),
    [
        ({"status": "completed"}, "declared-outputs"),
        ({"status": "completed", "output": {"hukou_no": "  "}}, "declared-outputs"),
        ({"status": "completed", "output": {"hukou_no": "HK1", "bank": "x"}}, "undeclared-output"),
        ({"status": "rejected"}, "reason-required"),
    ],
)
@pytest.mark.parametrize("call", [SUBMIT, PULL])
async def test_a_reply_that_breaks_the_contract_is_retried_naming_the_rule(
    police: tuple[Answering, str], tmp_path: Path, call: str, reply: dict[str, Any], rule: str
) -> None:
    system, url = police
    system.reply = reply
    argument = submission(IntegrationMode.SYNC_REST) if call == SUBMIT else REF
    with pytest.raises(ApplicationError) as raised:
        await run(url, tmp_path, call, argument)
    assert raised.value.type == REPLY_BROKEN
    assert not raised.value.non_retryable  # the department may fix its system; the key makes a retry safe
    assert raised.value.details[0]["rule"] == rule


async def test_a_reply_for_another_submission_is_not_taken(police: tuple[Answering, str], tmp_path: Path) -> None:
    system, url = police
    system.reply = {"status": "completed", "output": {"hukou_no": "HK1"}, "idempotency_key": "C2:hukou"}
    with pytest.raises(ApplicationError) as raised:
        await run(url, tmp_path, SUBMIT, submission(IntegrationMode.SYNC_REST))
    assert raised.value.details[0]["rule"] == "own-submission"


@pytest.mark.parametrize("call", [SUBMIT, PULL])
async def test_a_reply_within_the_contract_is_taken(police: tuple[Answering, str], tmp_path: Path, call: str) -> None:
    system, url = police
    system.reply = {"status": "completed", "output": {"hukou_no": "HK1"}}
    argument = submission(IntegrationMode.SYNC_REST) if call == SUBMIT else REF
    reply = await run(url, tmp_path, call, argument)
    assert (reply.status, reply.output) == ("completed", {"hukou_no": "HK1"})


async def test_a_pull_scheduled_before_the_check_existed_is_taken_as_it_comes(
    police: tuple[Answering, str], tmp_path: Path
) -> None:
    # Histories recorded before pulls carried the item's outputs replay with the reply they got then.
    system, url = police
    system.reply = {"status": "completed"}
    old = SubmissionRef(department="police", idempotency_key="C1:hukou")
    assert (await run(url, tmp_path, PULL, old)).status == "completed"


async def test_a_call_in_flight_heartbeats_so_a_dead_worker_is_noticed_early(
    police: tuple[Answering, str], tmp_path: Path
) -> None:
    # Temporal retries a call whose worker died once its heartbeat timeout passes (policies.DEPARTMENT_CALL:
    # 10 s), instead of its 60 s start_to_close; that holds only if a live call keeps heartbeating.
    system, url = police
    system.reply = {"status": "accepted"}
    system.delay = 1.0
    environment = ActivityEnvironment()
    environment.info = dataclasses.replace(environment.info, heartbeat_timeout=timedelta(seconds=0.3))
    beats: list[object] = []
    environment.on_heartbeat = lambda *details: beats.append(details)
    await run(url, tmp_path, SUBMIT, submission(IntegrationMode.SYNC_REST), environment)
    assert len(beats) >= 3  # every 0.1 s through a 1 s call


async def test_a_batch_submission_to_a_department_that_calls_back_says_so_in_its_reply(
    police: tuple[Answering, str], tmp_path: Path
) -> None:
    # The workflow cannot read the registry: the reply in its history tells it to wait for the callback.
    system, url = police
    system.reply = {"status": "accepted"}
    reply = await run(url, tmp_path, SUBMIT, submission(IntegrationMode.BATCH), batch_results="callback")
    assert (reply.status, reply.results_by_callback) == ("accepted", True)
    assert system.submitted[-1]["callback_url"] == "https://platform.example/api/v1/callbacks/police"


@pytest.mark.parametrize("claimed", [False, True])
async def test_a_pulled_department_s_batch_submission_is_pulled_whatever_its_reply_claims(
    police: tuple[Answering, str], tmp_path: Path, claimed: bool
) -> None:
    # Only the registry decides: a department's own answer cannot stop the pulling of its results.
    system, url = police
    system.reply = {"status": "accepted", "results_by_callback": claimed}
    reply = await run(url, tmp_path, SUBMIT, submission(IntegrationMode.BATCH))
    assert (reply.status, reply.results_by_callback) == ("accepted", False)
    assert system.submitted[-1]["callback_url"] is None


async def test_a_decided_reply_never_waits_for_a_callback(police: tuple[Answering, str], tmp_path: Path) -> None:
    system, url = police
    system.reply = {"status": "completed", "output": {"hukou_no": "HK1"}}
    reply = await run(url, tmp_path, SUBMIT, submission(IntegrationMode.BATCH), batch_results="callback")
    assert (reply.status, reply.results_by_callback) == ("completed", False)
