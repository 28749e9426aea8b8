"""The data pipeline's hand-over with several workers: each staged submission leaves in exactly one batch, a
flush that died is finished by a later one, pacing holds across workers, and two workers ingesting the same
result files at once both succeed without losing a result."""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.engine import Engine

import activities.gateways.hand_over as hand_over_module
from activities.gateways import DepartmentHttp, GatewayContext, Gateways
from activities.gateways.data_pipeline import DataPipelineGateway
from activities.gateways.hand_over import ABANDONED_SECONDS, HandOver
from activities.gateways.keys import KeyRing
from core.batch_files import batches, read_batch, write_batch
from core.clock import SYSTEM_CLOCK
from core.settings import Settings
from one_things.schema import IntegrationMode
from tests.activities.test_gateways import registry
from tests.support.db import migrated_engine
from workflows.contracts import SubmissionRef

KEY_ID, KEY = "k1", b"k" * 32
NOW = 1_800_000_000.0
WORKERS = 4


class Killed(BaseException):
    """The process dies here: nothing after this point runs, no handler cleans up."""


def stage(exchange: Path, count: int, *, first: int = 0, flush_seconds: float = 0) -> HandOver:
    hand_over = HandOver(exchange, flush_seconds, "police")
    for n in range(first, first + count):
        hand_over.stage(f"key-{n:04d}", json.dumps({"idempotency_key": f"C{n}:hukou"}).encode())
    return hand_over


def at_once(work: Callable[[], Any], workers: int = WORKERS) -> list[Any]:
    """`work` in `workers` threads released together (file system calls release the GIL: they interleave)."""
    barrier = threading.Barrier(workers)

    def run() -> Any:
        barrier.wait()
        return work()

    with ThreadPoolExecutor(workers) as pool:
        futures = [pool.submit(run) for _ in range(workers)]
        return [future.result() for future in futures]


def sent(exchange: Path) -> Counter[str]:
    """How many times each key went out, over every batch in the outbox."""
    keys: Counter[str] = Counter()
    for path in batches(exchange / "outbox"):
        keys.update(line["idempotency_key"] for line in read_batch(path, lambda _: KEY))
    return keys


def every_key(count: int) -> Counter[str]:
    return Counter({f"C{n}:hukou": 1 for n in range(count)})


def test_flushes_at_once_hand_each_submission_over_exactly_once(tmp_path: Path) -> None:
    for round_ in range(5):  # several rounds: the interleaving differs from one to the next
        exchange = tmp_path / str(round_)
        hand_over = stage(exchange, 300)
        handed = at_once(partial(hand_over.flush, KEY_ID, KEY, NOW))
        assert sent(exchange) == every_key(300)
        assert sum(handed) == 300
        assert list((exchange / "platform" / "staging").iterdir()) == []
        assert list((exchange / "platform" / "claims").iterdir()) == []


def test_pacing_holds_over_workers_flushing_at_once(tmp_path: Path) -> None:
    hand_over = stage(tmp_path, 50, flush_seconds=10)
    at_once(lambda: hand_over.flush(KEY_ID, KEY, NOW))
    assert len(batches(tmp_path / "outbox")) == 1
    stage(tmp_path, 10, first=50, flush_seconds=10)  # ten more submissions
    at_once(lambda: hand_over.flush(KEY_ID, KEY, NOW + 9.9))
    assert len(batches(tmp_path / "outbox")) == 1  # less than flush_seconds since the last batch
    at_once(lambda: hand_over.flush(KEY_ID, KEY, NOW + 10))
    assert len(batches(tmp_path / "outbox")) == 2
    assert sent(tmp_path) == every_key(60)


def test_a_flush_that_died_before_writing_its_batch_is_staged_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    hand_over = stage(tmp_path, 20)
    with monkeypatch.context() as patch:
        patch.setattr(hand_over_module, "write_batch", kill)
        with pytest.raises(Killed):
            hand_over.flush(KEY_ID, KEY, NOW)
    assert hand_over.flush(KEY_ID, KEY, NOW + 1) == 0  # claimed by a flush that may still be writing
    assert sent(tmp_path) == Counter()
    at_once(lambda: hand_over.flush(KEY_ID, KEY, NOW + ABANDONED_SECONDS + 1))
    assert sent(tmp_path) == every_key(20)
    assert list((tmp_path / "platform" / "claims").iterdir()) == []


def test_a_flush_that_died_with_its_batch_written_has_that_batch_handed_over(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    hand_over = stage(tmp_path, 20)
    with monkeypatch.context() as patch:
        patch.setattr(hand_over_module, "hand_over", kill)
        with pytest.raises(Killed):
            hand_over.flush(KEY_ID, KEY, NOW)
    stage(tmp_path, 25)  # five more, and the twenty staged again by retries of their submissions
    at_once(lambda: hand_over.flush(KEY_ID, KEY, NOW + ABANDONED_SECONDS + 1))
    assert set(sent(tmp_path)) == set(every_key(25))
    assert sent(tmp_path)["C0:hukou"] == 2  # a retry after the claim is a new hand-over: the key deduplicates it


def test_a_slow_flush_whose_claim_was_taken_hands_nothing_over(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    hand_over = stage(tmp_path, 20)
    real = hand_over_module.hand_over

    def overtaken(body: Path, folder: Path) -> None:  # the flush stalls here; meanwhile a later one takes over
        other = HandOver(tmp_path, 0, "police")
        other.flush(KEY_ID, KEY, NOW + ABANDONED_SECONDS + 1)
        real(body, folder)

    monkeypatch.setattr(hand_over_module, "hand_over", overtaken)
    assert hand_over.flush(KEY_ID, KEY, NOW) == 0
    assert sent(tmp_path) == every_key(20)
    assert list((tmp_path / "platform" / "claims").iterdir()) == []


def kill(*_: object, **__: object) -> None:
    raise Killed


# --- ingesting results --------------------------------------------------------------------------------------


@pytest.fixture
async def gateway(tmp_path: Path) -> AsyncIterator[DataPipelineGateway]:
    settings = Settings(data_dir=tmp_path)
    engine: Engine = migrated_engine(settings.projection_url)
    async with httpx.AsyncClient() as http:  # never used: results come as files
        context = GatewayContext(
            DepartmentHttp(http), "https://platform.example", keys=KeyRing(engine, settings, SYSTEM_CLOCK)
        )
        found = Gateways(registry("http://unused", str(settings.exchange_dir)), context).for_mode(
            "police", IntegrationMode.BATCH
        )
        assert isinstance(found, DataPipelineGateway)
        yield found
    engine.dispose()


async def test_ingests_at_once_take_every_result_without_failing(gateway: DataPipelineGateway) -> None:
    key_id, key = await gateway.context.require_keys().for_signing("police")
    inbox = gateway.exchange / "inbox"
    for file in range(30):
        results = [result(f"C{file}-{n}:hukou") for n in range(10)]
        write_batch(inbox, f"results-{file:03d}", results, key_id=key_id, key=key, now=NOW)

    at_once(gateway._ingest)  # what each worker's pull does after its flush; none may raise

    assert batches(inbox) == []
    assert len(batches(inbox / "ingested")) == 30
    assert batches(inbox / "refused") == []  # a file another worker set aside is not refused
    for file in range(30):
        for n in range(10):
            reply = await gateway.result(SubmissionRef(department="police", idempotency_key=f"C{file}-{n}:hukou"))
            assert (reply.status, reply.output) == ("completed", {"hukou_no": f"H{file}-{n}"})


def result(key: str) -> dict[str, Any]:
    number = key.split(":")[0].removeprefix("C")
    return {"idempotency_key": key, "receipt_no": "R1", "status": "completed", "output": {"hukou_no": f"H{number}"}}
