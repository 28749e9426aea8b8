"""The data pipeline as batch files: the platform's gateway stages and hands over signed batches, the stubs
take them and leave signed results, the gateway ingests them; every step idempotent by key."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy.engine import Engine

from activities.gateways import DepartmentHttp, GatewayContext, Gateways
from activities.gateways.keys import KeyRing
from core.clock import SYSTEM_CLOCK
from core.settings import Settings
from departments.behaviour import StubConfig
from departments.callbacks import decide_record
from departments.clock import StubClock
from departments.exchange import FileExchange
from departments.models import CallbackState
from departments.store import get_record
from departments.store import make_engine as make_stub_engine
from one_things.schema import IntegrationMode
from tests.activities.test_gateways import registry, submission
from tests.support.db import migrated_engine
from workflows.contracts import SubmissionRef


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path)


@pytest.fixture
def platform_db(settings: Settings) -> Iterator[Engine]:
    engine = migrated_engine(settings.projection_url)
    yield engine
    engine.dispose()


def stubs(settings: Settings, http: httpx.AsyncClient) -> tuple[FileExchange, Engine]:
    engine = make_stub_engine(settings.departments_db_url)
    exchange = FileExchange(settings.exchange_dir, engine, StubConfig(), StubClock(), http, settings.secret_key)
    return exchange, engine


async def test_a_batch_goes_out_signed_and_its_result_comes_back(settings: Settings, platform_db: Engine) -> None:
    async with httpx.AsyncClient() as http:
        context = GatewayContext(
            DepartmentHttp(http), "https://platform.example", keys=KeyRing(platform_db, settings, SYSTEM_CLOCK)
        )
        gateway = Gateways(registry("http://unused", str(settings.exchange_dir)), context).for_mode(
            "police", IntegrationMode.BATCH
        )
        ref = SubmissionRef(department="police", idempotency_key="C1:hukou")
        first = await gateway.submit(submission(IntegrationMode.BATCH))
        await gateway.submit(submission(IntegrationMode.BATCH))  # a retry stages the same file again
        assert first.status == "accepted"

        assert (await gateway.result(ref)).status == "accepted"  # handed over; not decided yet
        police = settings.exchange_dir / "police"
        [batch] = sorted((police / "outbox").glob("*.jsonl"))
        [line] = [json.loads(text) for text in batch.read_text().splitlines()]
        assert line["idempotency_key"] == "C1:hukou"
        assert line["payload"] == {"CSZMBH": "Q3100000001", "XM": "x"}  # the registry's field mapping
        assert (police / "outbox" / f"{batch.name}.sig").exists()
        assert list((police / "platform" / "staging").glob("*")) == []

        exchange, stub_db = stubs(settings, http)
        assert await exchange.take() == 1
        assert await exchange.take() == 0  # a batch is taken once
        record = get_record(stub_db, department="police", key="C1:hukou")
        assert record is not None
        assert record.id is not None
        assert record.submissions == 1  # staged twice, sent once
        assert exchange.write_results() == 0  # nothing decided yet: nothing owed
        decided = decide_record(stub_db, StubConfig(), record.id, StubClock().now())
        assert exchange.write_results() == 1
        assert exchange.write_results() == 0  # each decision is sent once

        reply = await gateway.result(ref)
        assert reply.status == decided.status == "completed"
        assert reply.output == decided.output
        assert reply.receipt_no == decided.receipt_no
        assert (await gateway.result(ref)) == reply  # ingested once, answered every time
        assert len(list((police / "inbox" / "ingested").glob("*.jsonl"))) == 1


async def test_a_result_file_with_a_bad_signature_is_set_aside(settings: Settings, platform_db: Engine) -> None:
    async with httpx.AsyncClient() as http:
        context = GatewayContext(
            DepartmentHttp(http), "https://platform.example", keys=KeyRing(platform_db, settings, SYSTEM_CLOCK)
        )
        gateway = Gateways(registry("http://unused", str(settings.exchange_dir)), context).for_mode(
            "police", IntegrationMode.BATCH
        )
        inbox = settings.exchange_dir / "police" / "inbox"
        inbox.mkdir(parents=True)
        forged = {"idempotency_key": "C2:hukou", "receipt_no": "X", "status": "completed", "output": {"hukou_no": "1"}}
        (inbox / "results-1.jsonl").write_text(json.dumps(forged) + "\n")
        mac = "sha256=" + hashlib.sha256(b"not the key").hexdigest()
        (inbox / "results-1.jsonl.sig").write_text(json.dumps({"key_id": "derived", "timestamp": 1, "signature": mac}))
        reply = await gateway.result(SubmissionRef(department="police", idempotency_key="C2:hukou"))
    assert reply.status == "accepted"  # the forged decision changed nothing
    assert (inbox / "refused" / "results-1.jsonl").exists()


async def test_a_department_that_calls_back_gets_each_submission_at_once_and_owes_no_result_file(
    settings: Settings, platform_db: Engine
) -> None:
    async with httpx.AsyncClient() as http:
        context = GatewayContext(
            DepartmentHttp(http), "https://platform.example", keys=KeyRing(platform_db, settings, SYSTEM_CLOCK)
        )
        plain = registry("http://unused", str(settings.exchange_dir))
        police = plain.departments["police"].model_copy(update={"batch_results": "callback"})
        calling = plain.model_copy(update={"departments": {**plain.departments, "police": police}})
        gateway = Gateways(calling, context).for_mode("police", IntegrationMode.BATCH)
        assert (await gateway.submit(submission(IntegrationMode.BATCH))).status == "accepted"

        # Handed over by the submission itself: no pull will come to flush it.
        police_folder = settings.exchange_dir / "police"
        [batch] = sorted((police_folder / "outbox").glob("*.jsonl"))
        [line] = [json.loads(text) for text in batch.read_text().splitlines()]
        assert line["callback_url"] == "https://platform.example/api/v1/callbacks/police"

        exchange, stub_db = stubs(settings, http)
        assert await exchange.take() == 1
        record = get_record(stub_db, department="police", key="C1:hukou")
        assert record is not None
        assert record.id is not None
        decided = decide_record(stub_db, StubConfig(), record.id, StubClock().now())
        assert decided.callback_state == CallbackState.PENDING  # owed by callback (departments/callbacks.py) ...
        assert exchange.write_results() == 0  # ... not by a result file nobody would read
        assert list((police_folder / "stub" / "pending").glob("*")) == []
