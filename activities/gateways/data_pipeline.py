"""数据管道 (seed 004 §5.4): submissions handed over as signed batch files, results taken from the
department's result files (core/batch_files.py has the format; docs/departments.md the folders).

`submit` stages the submission under its key (the same key stages the same file: idempotent); each pull of
a result first writes the staged submissions into one signed batch in `outbox/` (at most one batch per
`flush_seconds`; each submission in exactly one batch however many workers pull at once: hand_over.py), then
ingests the department's signed result files from `inbox/` into a file per key, then
answers from that file. The pull is paced by the activity's retry policy, so the schedule costs no workflow
history. A department registered with `batch_results: callback` posts each result to the platform's
callback instead: its submissions leave at once (`submit` flushes) and carry the callback URL; nothing is pulled.
Withdrawals and escalations go over the contract's HTTP operations (the department's base URL).

A department the registry gives no exchange folder takes its pipeline over the contract's HTTP instead:
`POST {base}/submissions` with mode batch, then `GET {base}/submissions/{key}` until it is decided.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from pathlib import Path
from typing import ClassVar

from activities.gateways.contract import ContractGateway
from activities.gateways.hand_over import HandOver
from core.batch_files import BatchFileError, batches, read_batch, set_aside, write_atomically
from one_things.schema import IntegrationMode
from workflows.contracts import DepartmentReply, Submission, SubmissionRef

log = logging.getLogger("onething.departments.batch")


class DataPipelineGateway(ContractGateway):
    mode: ClassVar[IntegrationMode] = IntegrationMode.BATCH

    @property
    def results_by_callback(self) -> bool:
        return self.connection.batch_results == "callback"

    def callback_url(self) -> str | None:
        """A department that calls back (registry `batch_results: callback`) is told where, in every batch line
        or posted submission; one whose results are pulled is given none."""
        return self.platform_callback_url() if self.results_by_callback else None

    @property
    def exchange(self) -> Path:
        assert self.connection.batch is not None, "the registry requires batch for mode batch"
        return Path(self.connection.batch.exchange_dir)

    @property
    def _hand_over(self) -> HandOver:
        assert self.connection.batch is not None, "the registry requires batch for mode batch"
        return HandOver(self.exchange, self.connection.batch.flush_seconds, self.code)

    async def submit(self, submission: Submission) -> DepartmentReply:
        if self.connection.batch is None:
            return await super().submit(submission)  # no exchange folder: the contract's POST, then pulls
        line = {
            "idempotency_key": submission.idempotency_key,
            "case_no": submission.case_no,
            "item_code": submission.item_code,
            "mode": self.mode.value,
            "payload": self.payload(submission),
            "outputs": submission.outputs,
            "callback_url": self.callback_url(),
            "materials": await self.materials(submission),
        }
        data = json.dumps(line, ensure_ascii=False).encode()
        await asyncio.to_thread(self._hand_over.stage, _file_name(submission.idempotency_key), data)
        if self.results_by_callback:
            # No pull will flush the staged submission: it leaves now (the registry holds flush_seconds at 0
            # for such a department, so this turn is always taken).
            key_id, key = await self.context.require_keys().for_signing(self.code)
            now = self.context.clock.now()
            await asyncio.to_thread(self._hand_over.flush, key_id, key, now.timestamp())
        return DepartmentReply(receipt_no="", idempotency_key=submission.idempotency_key, status="accepted")

    async def result(self, ref: SubmissionRef) -> DepartmentReply:
        if self.connection.batch is None:
            return await super().result(ref)  # GET {base}/submissions/{key}
        key_id, key = await self.context.require_keys().for_signing(self.code)
        now = self.context.clock.now()
        await asyncio.to_thread(self._hand_over.flush, key_id, key, now.timestamp())
        await asyncio.to_thread(self._ingest)
        received = self._received(ref.idempotency_key)
        if not received.exists():
            return DepartmentReply(receipt_no="", idempotency_key=ref.idempotency_key, status="accepted")
        return DepartmentReply.model_validate_json(received.read_bytes())

    # --- the results ----------------------------------------------------------------------------------

    def _ingest(self) -> None:
        """Each result line of each signed result file into its key's file; a bad file is set aside, logged."""
        inbox = self.exchange / "inbox"
        keys = self.context.require_keys()
        now = self.context.clock.now()
        for path in batches(inbox):
            try:
                lines = read_batch(path, lambda key_id: keys.verifying(self.code, key_id, now))
            except BatchFileError as error:
                if not path.exists():
                    continue  # another worker's ingest read it and set it aside meanwhile
                log.error("result file of %s refused: %s", self.code, error)
                set_aside(path, inbox / "refused")
                continue
            for line in lines:
                try:
                    reply = DepartmentReply.model_validate(line)
                except ValueError:
                    log.error("result of %s in %s is not a result; skipped", self.code, path.name)
                    continue
                write_atomically(self._received(reply.idempotency_key), reply.model_dump_json().encode())
            set_aside(path, inbox / "ingested")

    def _received(self, key: str) -> Path:
        return self.exchange / "platform" / "received" / f"{_file_name(key)}.json"


def _file_name(key: str) -> str:
    """A key as a file name: hashed, so nothing in it can leave the folder."""
    return hashlib.sha256(key.encode()).hexdigest()
