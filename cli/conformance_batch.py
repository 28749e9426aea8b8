"""The `batch-files` check: the kit plays the platform's side of the data pipeline's exchange folder.

It writes one signed batch of two submissions with the platform's own writer (core/batch_files.py), waits
for the department's signed result files, and then writes the same batch again: the department must keep one
record per key, so a repeat may be answered again only with the same receipt and decision.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cli.conformance_verdicts import DECIDED, CheckFailedError, outputs_complete, record_of
from core.batch_files import BatchFileError, batches, read_batch, set_aside, write_batch
from core.department_contract import schema_errors

if TYPE_CHECKING:
    from cli.conformance import Kit

ITEMS = ("batch_file_a", "batch_file_b")
NOTE_EVERY = 2.0
"""Seconds between progress lines while the kit waits on the exchange folder."""
POLL = 0.2

Results = dict[str, list[dict[str, Any]]]


async def check_batch_files(kit: Kit, exchange: Path) -> str:
    options = kit.options
    if options.callback_key is None or not options.key_id:
        raise CheckFailedError(
            "batch files are signed with your department's key: give --callback-key and --key-id "
            "(or ONETHING_CONFORMANCE_CALLBACK_KEY and ONETHING_CONFORMANCE_KEY_ID)"
        )
    key, key_id = options.callback_key, options.key_id
    # No callback_url: the results are to come back as result files (a line with one is posted its result).
    lines = [kit.submission(item, "batch", materials=[kit.material], callback_url=None) for item in ITEMS]
    keys = [line["idempotency_key"] for line in lines]
    folder = _Folder(kit, exchange, key, key_id)

    started = time.monotonic()
    first = await folder.write(lines)
    answers: Results = {k: [] for k in keys}
    await folder.collect(answers, first, limit=options.result_wait, required=True)
    repeated = [k for k, found in answers.items() if len(found) > 1]
    if repeated:
        raise CheckFailedError(f"{len(repeated)} submission(s) of one batch were answered more than once")
    decided = {k: _judged(kit, found[0], k) for k, found in answers.items()}

    # The same batch again, as a retried submission staged after its batch left would send it.
    again = await folder.write(lines)
    await folder.taken(again)
    repeats: Results = {k: [] for k in keys}
    await folder.collect(repeats, again, limit=min(options.result_wait, max(1.0, time.monotonic() - started)))
    for k, found in repeats.items():
        for result in found:
            _judged(kit, result, k)
            if _decision(result) != _decision(decided[k]):
                raise CheckFailedError(
                    "the repeated batch made a new record or changed a decision: a key answered "
                    f"{_decision(decided[k])[:2]}, then {_decision(result)[:2]}"
                )
    for k, result in decided.items():
        record = record_of(await kit.status(k), "GET /submissions/{key} of a batch-file submission")
        if result.get("receipt_no") is not None and record["receipt_no"] != result["receipt_no"]:
            raise CheckFailedError("GET shows another receipt_no than the result file for the same key")
        if record["status"] != result["status"]:
            raise CheckFailedError("GET shows another status than the result file for the same key")
    statuses = ", ".join(sorted({result["status"] for result in decided.values()}))
    return (
        f"{len(keys)} submissions (with materials) answered once each ({statuses}) in files signed {key_id!r}; "
        f"the same batch again made no new record ({sum(map(len, repeats.values()))} identical repeat(s))"
    )


class _Folder:
    def __init__(self, kit: Kit, exchange: Path, key: bytes, key_id: str) -> None:
        self.kit, self.outbox, self.inbox = kit, exchange / "outbox", exchange / "inbox"
        self.key, self.key_id = key, key_id
        self.unrelated: set[str] = set()
        """Result files of other work in the inbox: left for the platform that owns them."""

    async def write(self, lines: list[dict[str, Any]]) -> Path:
        name = f"batch-{int(time.time())}-{secrets.token_hex(4)}"
        return await asyncio.to_thread(
            write_batch, self.outbox, name, lines, key_id=self.key_id, key=self.key, now=time.time()
        )

    def _refused(self, batch: Path) -> None:
        if (self.outbox / "refused" / batch.name).exists():
            raise CheckFailedError(
                "the department moved the kit's batch to outbox/refused/: "
                f"check that it verifies with key id {self.key_id!r}"
            )

    async def taken(self, batch: Path) -> None:
        deadline = time.monotonic() + self.kit.options.result_wait
        while await asyncio.to_thread(batch.exists):
            if time.monotonic() > deadline:
                raise CheckFailedError(
                    f"the repeated batch was not taken from outbox/ within {self.kit.options.result_wait:g} s"
                )
            await asyncio.sleep(POLL)
        self._refused(batch)

    async def collect(self, into: Results, batch: Path, *, limit: float, required: bool = False) -> None:
        """Results for the keys of `into` until each has one, or `limit` s; `required`: fail when some are missing."""
        started = time.monotonic()
        noted = started
        while True:
            self._refused(batch)
            await asyncio.to_thread(self._read_inbox, into)
            answered = sum(1 for found in into.values() if found)
            if answered == len(into):
                return
            now = time.monotonic()
            if now - started > limit:
                if required:
                    raise CheckFailedError(
                        f"{len(into) - answered} of {len(into)} submissions had no result file "
                        f"in inbox/ within {limit:g} s"
                    )
                return
            if now - noted >= NOTE_EVERY:
                noted = now
                self.kit.note(
                    f"batch-files: {answered} of {len(into)} results after {now - started:.0f} s (up to {limit:g} s)"
                )
            await asyncio.sleep(POLL)

    def _read_inbox(self, into: Results) -> None:
        for path in batches(self.inbox):
            if path.name in self.unrelated:
                continue
            try:
                lines = read_batch(path, self._verifying)
            except BatchFileError as error:
                set_aside(path, self.inbox / "refused")  # as the platform does: never read again
                raise CheckFailedError(f"a result file the platform would refuse: {error}") from None
            ours = [line for line in lines if line["idempotency_key"] in into]
            if not ours:
                self.unrelated.add(path.name)
                continue
            for line in ours:
                into[line["idempotency_key"]].append(line)
            set_aside(path, self.inbox / "ingested")

    def _verifying(self, key_id: str) -> bytes | None:
        return self.key if key_id == self.key_id else None


def _judged(kit: Kit, result: dict[str, Any], key: str) -> dict[str, Any]:
    errors = schema_errors("DepartmentResult", result)
    if errors:
        raise CheckFailedError("a result line breaks the contract's DepartmentResult: " + "; ".join(errors[:3]))
    item = key.rsplit(":", 1)[1]
    if (result["case_no"], result["item_code"]) != (kit.case_no, item):
        raise CheckFailedError("a result line names another case or item than the submission of its key")
    if result["status"] not in DECIDED:
        raise CheckFailedError(f"a result line has status {result['status']!r}, not a decision")
    outputs_complete(result)
    return result


def _decision(result: dict[str, Any]) -> tuple[Any, ...]:
    return result.get("receipt_no"), result["status"], result.get("output"), result.get("reason")
