"""The stubs' side of the data pipeline's batch files (core/batch_files.py): take the platform's batches from
`<exchange>/<department>/outbox/`, record each submission as a batch record (decided by the batch run, like
one posted over HTTP), and leave the decisions as signed result files in `<exchange>/<department>/inbox/`.
"""

from __future__ import annotations

import hashlib
import json
import logging
import random
from datetime import timedelta
from functools import partial
from pathlib import Path

import httpx
from pydantic import ValidationError
from sqlalchemy.engine import Engine

from core.batch_files import BatchFileError, batches, read_batch, set_aside, write_atomically, write_batch
from core.signing import DERIVED_KEY_ID, department_key, key_bytes
from departments import materials, store
from departments.behaviour import StubConfig
from departments.clock import StubClock
from departments.models import SubmissionIn
from departments.problems import ProblemError

log = logging.getLogger("onething.departments.exchange")


class FileExchange:
    def __init__(
        self, root: Path, engine: Engine, config: StubConfig, clock: StubClock, http: httpx.AsyncClient, secret: str
    ) -> None:
        self._root = root
        self._engine = engine
        self._config = config
        self._clock = clock
        self._http = http
        self._secret = secret
        self._chaos = random.Random()

    async def take(self) -> int:
        """Record every submission of every complete, correctly signed batch; how many."""
        taken = 0
        for folder in self._departments():
            department = folder.name
            for path in batches(folder / "outbox"):
                try:
                    lines = read_batch(path, partial(self._key, department))
                except BatchFileError as error:
                    log.error("batch of %s refused: %s", department, error)
                    set_aside(path, folder / "outbox" / "refused")
                    continue
                try:
                    for line in lines:
                        taken += await self._record(folder, department, line)
                except ProblemError as error:  # a material could not be fetched: the whole file again later
                    log.warning("batch %s of %s left for later: %s", path.name, department, error.detail)
                    continue
                set_aside(path, folder / "outbox" / "taken")
        return taken

    def write_results(self) -> int:
        """One signed result file per department with every decision still owed; how many results."""
        written = 0
        for folder in self._departments():
            department = folder.name
            pending = sorted((folder / "stub" / "pending").glob("*.json"))
            results, done = [], []
            for marker in pending:
                key = json.loads(marker.read_bytes())["idempotency_key"]
                record = store.get_record(self._engine, department=department, key=key)
                if record is None or record.status == "accepted":
                    continue
                done.append(marker)
                if record.callback_url:
                    continue  # posted to the platform's callback instead (departments/callbacks.py)
                results.append(
                    {
                        "idempotency_key": record.idempotency_key,
                        "case_no": record.case_no,
                        "item_code": record.item_code,
                        "receipt_no": record.receipt_no,
                        "status": record.status,
                        "output": record.output,
                        "reason": record.reason,
                        "submissions": record.submissions,
                    }
                )
            if results:
                key_id, key = self._signing(department)
                now = self._clock.now().timestamp()
                name = f"results-{int(now)}-{hashlib.sha256(str(done).encode()).hexdigest()[:8]}"
                write_batch(folder / "inbox", name, results, key_id=key_id, key=key, now=now)
                log.info("results %s for %s: %d decision(s)", name, department, len(results))
                written += len(results)
            for marker in done:
                marker.unlink(missing_ok=True)
        return written

    async def _record(self, folder: Path, department: str, line: dict[str, object]) -> int:
        try:
            body = SubmissionIn.model_validate(line)
        except ValidationError as error:
            fields = ", ".join(".".join(str(p) for p in e["loc"]) for e in error.errors())
            log.error("batch line of %s skipped: fix %s", department, fields)
            return 0
        received = []
        if body.materials and not materials.already_received(
            self._engine, department=department, key=body.idempotency_key
        ):
            received = [await materials.receive(self._http, material) for material in body.materials]
        behaviour = self._config.behaviour(department)
        now = self._clock.now()
        decide_at = now + timedelta(milliseconds=behaviour.latency_ms) + behaviour.handling_time(self._chaos)
        try:
            store.record_submission(self._engine, department=department, body=body, now=now, decide_at=decide_at)
        except store.KeyReusedError:
            log.error("batch line of %s reuses a key for other work; skipped", department)
            return 0
        if received:
            materials.keep(self._engine, department=department, key=body.idempotency_key, rows=received, now=now)
        marker = folder / "stub" / "pending" / f"{hashlib.sha256(body.idempotency_key.encode()).hexdigest()}.json"
        write_atomically(marker, json.dumps({"idempotency_key": body.idempotency_key}).encode())
        return 1

    def _departments(self) -> list[Path]:
        if not self._root.is_dir():
            return []
        return sorted(path for path in self._root.iterdir() if path.is_dir())

    def _key(self, department: str, key_id: str) -> bytes | None:
        issued = self._config.callback_keys.get(department)
        if issued is not None and key_id == issued.key_id:
            return key_bytes(issued.key)
        return department_key(self._secret, department) if key_id == DERIVED_KEY_ID else None

    def _signing(self, department: str) -> tuple[str, bytes]:
        issued = self._config.callback_keys.get(department)
        if issued is not None:
            return issued.key_id, key_bytes(issued.key)
        return DERIVED_KEY_ID, department_key(self._secret, department)
