"""The department conformance kit: the contract's checks, run against any department base URL over HTTP.

Each check is a short scenario an integrator can read and repeat by hand (docs/department-contract.md
lists them). Every request is bounded by the answer time the contract gives its operation, so a slow
system fails the check it was in and the `timeouts` check names the operation. Nothing is mocked: the
department is called over the network, and its callbacks reach a real local receiver.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

from cli.conformance_batch import check_batch_files
from cli.conformance_receiver import CALLBACK_PATH, CallbackReceiver, Delivery
from cli.conformance_verdicts import (
    DECIDED,
    OUTPUT,
    CheckFailedError,
    expect_problem,
    outputs_complete,
    record_of,
    same_key,
    shaped,
)
from cli.departments_conformance import MODES
from core.department_contract import schema_errors, timeout_seconds
from core.signing import MAX_SKEW_SECONDS


@dataclass(frozen=True)
class Outcome:
    name: str
    passed: bool | None
    """None: not applicable to the modes checked (skipped, which is not a failure)."""
    detail: str
    seconds: float


@dataclass(frozen=True)
class Options:
    base_url: str
    department: str
    modes: tuple[str, ...] = MODES
    result_wait: float = 60.0
    """How long a decision may take to arrive by callback or batch pull."""
    callback_key: bytes | None = None
    key_id: str | None = None
    callback_host: str = "127.0.0.1"
    callback_port: int = 0
    callback_url: str | None = None
    """The receiver's address as the department reaches it; None: http://callback_host:port."""
    exchange: Path | None = None
    """The department's exchange folder (outbox/, inbox/) for the batch-files check; None skips it."""
    batch_results: str = "pull"
    """The registry's `batch_results` for the department: `callback` adds the batch-callback check."""


@dataclass
class _Timing:
    limit: float
    slowest: float = 0.0
    timed_out: int = 0


@dataclass
class Kit:
    options: Options
    http: httpx.AsyncClient
    receiver: CallbackReceiver
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:10].upper())
    timings: dict[str, _Timing] = field(default_factory=dict)
    note: Callable[[str], None] = lambda _text: None
    """Where a long wait says how far it is."""

    # --- requests --------------------------------------------------------------------------------

    @property
    def case_no(self) -> str:
        return f"CONF-{self.run_id}"

    def key(self, item_code: str) -> str:
        return f"{self.case_no}:{item_code}"

    def submission(self, item_code: str, mode: str, **changes: Any) -> dict[str, Any]:
        body: dict[str, Any] = {
            "idempotency_key": self.key(item_code),
            "case_no": self.case_no,
            "item_code": item_code,
            "mode": mode,
            "payload": {"applicant_name": "测试申请人", "birth_date": "2026-01-01"},
            "outputs": [OUTPUT],
            "callback_url": self.receiver.url + CALLBACK_PATH.format(department=self.options.department),
        }
        return {**body, **changes}

    @property
    def material(self) -> dict[str, Any]:
        """An exempt material (contract 1.1): a department must accept the field, and needs nothing to fetch it."""
        code = "conformance_licence"
        return {"code": code, "source": "licence_library", "reference": f"licence_library:{code}"}

    async def call(self, method: str, path: str, body: object = None, *, operation: str) -> httpx.Response:
        """One request, bounded by the contract's answer time for `operation` (a path of the contract)."""
        limit = timeout_seconds(operation, method.lower())
        timing = self.timings.setdefault(f"{method} {operation}", _Timing(limit))
        started = time.monotonic()
        try:
            url = self.options.base_url.rstrip("/") + path
            if isinstance(body, bytes):
                headers = {"Content-Type": "application/json"}
                response = await self.http.request(method, url, content=body, headers=headers, timeout=limit)
            else:
                response = await self.http.request(method, url, json=body, timeout=limit)
        except httpx.TimeoutException:
            timing.timed_out += 1
            raise CheckFailedError(f"{method} {operation} did not answer within the contract's {limit:g} s") from None
        except httpx.HTTPError as error:
            raise CheckFailedError(f"{method} {operation} could not be reached: {type(error).__name__}") from None
        timing.slowest = max(timing.slowest, time.monotonic() - started)
        return response

    async def submit(self, body: dict[str, Any]) -> dict[str, Any]:
        response = await self.call("POST", "/submissions", body, operation="/submissions")
        with_materials = ", with materials" if body.get("materials") else ""
        return record_of(response, f"POST /submissions ({body['mode']}{with_materials})")

    async def status(self, key: str) -> httpx.Response:
        return await self.call("GET", f"/submissions/{quote(key, safe='')}", operation="/submissions/{idempotency_key}")

    async def withdraw(self, key: str) -> dict[str, Any]:
        response = await self.call(
            "POST",
            f"/submissions/{quote(key, safe='')}/withdraw",
            {},
            operation="/submissions/{idempotency_key}/withdraw",
        )
        return record_of(response, "POST …/withdraw")

    # --- the checks --------------------------------------------------------------------------------

    def first_mode(self, *preferred: str) -> str:
        return next((mode for mode in preferred if mode in self.options.modes), self.options.modes[0])

    async def check_submit(self) -> str:
        seen = []
        for mode in self.options.modes:
            record = await self.submit(self.submission(f"submit_{mode}", mode, materials=[self.material]))
            same_key(record, self.key(f"submit_{mode}"))
            if mode == "sync_rest" and record["status"] not in DECIDED:
                raise CheckFailedError(f"sync_rest must be decided within the call; it answered {record['status']!r}")
            if mode != "sync_rest" and record["status"] not in {"accepted", *DECIDED}:
                raise CheckFailedError(f"{mode} answered status {record['status']!r}; expected accepted or a decision")
            outputs_complete(record)
            seen.append(f"{mode}: {record['status']}")
        return "; ".join(seen)

    async def check_idempotent_repeat(self) -> str:
        mode = self.first_mode("sync_rest", "batch", "async_callback")
        body = self.submission("repeat", mode)
        first = await self.submit(body)
        again = await self.submit(body)
        if again["receipt_no"] != first["receipt_no"]:
            raise CheckFailedError(
                f"a repeated key made a new record: receipt {first['receipt_no']!r}, then {again['receipt_no']!r}"
            )
        if again["submissions"] != first["submissions"] + 1:
            raise CheckFailedError(
                f"submissions went {first['submissions']} → {again['submissions']} on a repeat; expected +1"
            )
        if first["status"] in DECIDED and (again["status"], again["output"]) != (first["status"], first["output"]):
            raise CheckFailedError("a repeat of a decided key changed its decision")
        listed = record_of(await self.status(body["idempotency_key"]), "GET /submissions/{key}")
        if listed["receipt_no"] != first["receipt_no"] or listed["submissions"] != again["submissions"]:
            raise CheckFailedError("GET after two submissions does not show the one record with submissions counted")
        return f"one record {first['receipt_no']}, submissions {again['submissions']}"

    async def check_key_reused(self) -> str:
        mode = self.first_mode("sync_rest", "batch", "async_callback")
        body = self.submission("reused", mode)
        await self.submit(body)
        other = {**body, "item_code": "another_item"}
        response = await self.call("POST", "/submissions", other, operation="/submissions")
        expect_problem(response, 422, "the same idempotency_key for another item_code")
        return "422 problem+json"

    async def check_status(self) -> str:
        mode = self.first_mode("batch", "async_callback", "sync_rest")
        submitted = await self.submit(self.submission("status", mode))
        read = record_of(await self.status(self.key("status")), "GET /submissions/{key}")
        if read["receipt_no"] != submitted["receipt_no"]:
            raise CheckFailedError("GET answers another receipt_no than the submission did")
        unknown = await self.status(self.key("never_submitted"))
        expect_problem(unknown, 404, "GET of a key never submitted")
        return f"readable at once ({read['status']}); unknown key 404"

    async def check_bad_input(self) -> str:
        valid = self.submission("bad_input", self.first_mode("sync_rest", "batch", "async_callback"))
        cases: dict[str, object] = {
            "no idempotency_key": {k: v for k, v in valid.items() if k != "idempotency_key"},
            "unknown mode": {**valid, "mode": "standard_module"},
            "async_callback without callback_url": {**valid, "mode": "async_callback", "callback_url": None},
            "an unknown field": {**valid, "surprise": 1},
            "payload not an object": {**valid, "payload": ["a list"]},
            "an empty idempotency_key": {**valid, "idempotency_key": ""},
            "a body that is not JSON": b"{not json",
        }
        for what, body in cases.items():
            response = await self.call("POST", "/submissions", body, operation="/submissions")
            expect_problem(response, 422, what)
        return f"{len(cases)} bad bodies refused with 422 problem+json"

    async def check_withdraw(self) -> str:
        mode = self.first_mode("batch", "async_callback", "sync_rest")
        submitted = await self.submit(self.submission("withdraw", mode))
        first = await self.withdraw(self.key("withdraw"))
        if submitted["status"] == "accepted" and first["status"] not in {"withdrawn", *DECIDED}:
            raise CheckFailedError(f"an undecided submission answered {first['status']!r} to a withdrawal")
        if submitted["status"] in DECIDED and first["status"] != submitted["status"]:
            raise CheckFailedError("a withdrawal changed a decision already taken")
        if first["status"] == "withdrawn" and not first["reason"]:
            raise CheckFailedError("a withdrawn record needs a reason")
        again = await self.withdraw(self.key("withdraw"))
        if (again["receipt_no"], again["status"]) != (first["receipt_no"], first["status"]):
            raise CheckFailedError("a repeated withdrawal changed the record")
        early = await self.withdraw(self.key("withdraw_first"))
        if early["status"] != "withdrawn" or early["submissions"] != 0:
            raise CheckFailedError("withdrawing an unknown key must answer withdrawn with submissions 0")
        late = await self.submit(self.submission("withdraw_first", mode))
        if late["status"] != "withdrawn":
            raise CheckFailedError(f"a submission after its withdrawal answered {late['status']!r}, not withdrawn")
        return f"{submitted['status']} → {first['status']}; repeat idempotent; withdrawal before submission wins"

    async def check_escalation(self) -> str:
        body = {"case_no": self.case_no, "item_code": "escalated", "level": "overdue", "note": "conformance kit"}
        notices = []
        for _ in range(2):
            response = await self.call("POST", "/escalations", body, operation="/escalations")
            notice = shaped(response, "Escalation", "POST /escalations")
            notices.append(notice["notices"])
        if notices != [1, 2]:
            raise CheckFailedError(f"two notices of the same case, item and level counted {notices}; expected [1, 2]")
        bad = await self.call("POST", "/escalations", {"case_no": self.case_no}, operation="/escalations")
        expect_problem(bad, 422, "an escalation without item_code and level")
        return "recorded, repeat counted, bad body 422"

    async def check_batch_pull(self) -> str:
        key = self.key("batch_pull")
        # No callback_url: as the platform sends for a department whose batch results it pulls (a batch submission
        # with one is posted its result, docs/department-contract.md).
        await self.submit(self.submission("batch_pull", "batch", callback_url=None))
        deadline = time.monotonic() + self.options.result_wait
        while True:
            record = record_of(await self.status(key), "GET /submissions/{key}")
            if record["status"] != "accepted":
                break
            if time.monotonic() > deadline:
                raise CheckFailedError(f"the batch submission was not decided within {self.options.result_wait:g} s")
            await asyncio.sleep(0.25)
        if record["status"] not in DECIDED:
            raise CheckFailedError(f"a batch submission ended {record['status']!r}, not a decision")
        outputs_complete(record)
        return f"decided {record['status']}"

    async def check_batch_files(self) -> str:
        assert self.options.exchange is not None  # planned only with one
        return await check_batch_files(self, self.options.exchange)

    async def check_callback(self) -> str:
        if self.options.callback_key is None:
            raise CheckFailedError(
                "no key to verify callbacks: give --callback-key (or ONETHING_CONFORMANCE_CALLBACK_KEY)"
            )
        item = "callback"
        await self.submit(self.submission(item, "async_callback"))
        deliveries = await self.receiver.wait_for(self.key(item), 1, self.options.result_wait)
        if not deliveries:
            raise CheckFailedError(f"no callback arrived within {self.options.result_wait:g} s")
        result = self.judge_delivery(deliveries[0], item)
        return f"signed {result['status']} result, key id {deliveries[0].key_id!r}"

    async def check_batch_callback(self) -> str:
        if self.options.callback_key is None:
            raise CheckFailedError(
                "no key to verify callbacks: give --callback-key (or ONETHING_CONFORMANCE_CALLBACK_KEY)"
            )
        item = "batch_callback"
        await self.submit(self.submission(item, "batch"))  # with the receiver's callback_url
        deliveries = await self.receiver.wait_for(self.key(item), 1, self.options.result_wait)
        if not deliveries:
            raise CheckFailedError(
                f"no callback arrived within {self.options.result_wait:g} s for a batch submission with a callback_url"
            )
        result = self.judge_delivery(deliveries[0], item)
        return f"signed {result['status']} result after the batch run"

    async def check_callback_retry(self) -> str:
        if self.options.callback_key is None:
            raise CheckFailedError(
                "no key to verify callbacks: give --callback-key (or ONETHING_CONFORMANCE_CALLBACK_KEY)"
            )
        item = "callback_retry"
        self.receiver.planned[self.key(item)] = [503]
        await self.submit(self.submission(item, "async_callback"))
        deliveries = await self.receiver.wait_for(self.key(item), 2, self.options.result_wait)
        if len(deliveries) < 2:
            raise CheckFailedError(f"after a 503 the result was not sent again within {self.options.result_wait:g} s")
        self.judge_delivery(deliveries[1], item)
        return f"sent again {deliveries[1].received_at - deliveries[0].received_at:.1f} s after a 503"

    def judge_delivery(self, delivery: Delivery, item: str) -> dict[str, Any]:
        if delivery.refusal is not None:
            raise CheckFailedError(f"callback refused as the platform would (401): {delivery.refusal}")
        if delivery.department != self.options.department:
            raise CheckFailedError(
                f"the callback went to department {delivery.department!r}, not the callback_url given"
            )
        if abs(time.time() - int(delivery.timestamp)) > MAX_SKEW_SECONDS:
            raise CheckFailedError("the callback's timestamp is outside the ±300 s window")
        try:
            result = json.loads(delivery.body)
        except ValueError:
            raise CheckFailedError("the callback body is not JSON") from None
        errors = schema_errors("DepartmentResult", result)
        if errors:
            raise CheckFailedError("the callback body breaks the contract: " + "; ".join(errors[:3]))
        expected = (self.key(item), self.case_no, item)
        if (result["idempotency_key"], result["case_no"], result["item_code"]) != expected:
            raise CheckFailedError("the callback names another key, case or item than the submission")
        outputs_complete(result)
        return dict(result)

    async def check_timeouts(self) -> str:
        late = [f"{op} (limit {t.limit:g} s)" for op, t in self.timings.items() if t.timed_out]
        if late:
            raise CheckFailedError("no answer within the contract's time: " + ", ".join(late))
        return ", ".join(f"{op} ≤ {t.slowest:.2f} s" for op, t in sorted(self.timings.items()))


# --- running ------------------------------------------------------------------------------------------

Progress = Callable[[int, int, Outcome | None, str], None]
"""Called before each check (outcome None) and after it: (position, total, outcome, check name)."""


def plan(kit: Kit) -> list[tuple[str, Callable[[], Awaitable[str]] | str | None]]:
    """The checks in order; None where the modes checked make a check not applicable, or why it is skipped."""
    modes = kit.options.modes
    batch_files = kit.check_batch_files if kit.options.exchange is not None else "no --exchange folder given"
    batch_callback = (
        kit.check_batch_callback
        if kit.options.batch_results == "callback"
        else "batch results pulled (--batch-results callback checks them by callback)"
    )
    return [
        ("submit", kit.check_submit),
        ("idempotent-repeat", kit.check_idempotent_repeat),
        ("key-reused", kit.check_key_reused),
        ("status-readable", kit.check_status),
        ("bad-input", kit.check_bad_input),
        ("withdraw", kit.check_withdraw),
        ("escalation", kit.check_escalation),
        ("batch-pull", kit.check_batch_pull if "batch" in modes else None),
        ("batch-files", batch_files if "batch" in modes else None),
        ("batch-callback", batch_callback if "batch" in modes else None),
        ("callback-signed", kit.check_callback if "async_callback" in modes else None),
        ("callback-retry", kit.check_callback_retry if "async_callback" in modes else None),
        ("timeouts", kit.check_timeouts),
    ]


async def run_conformance(
    options: Options, progress: Progress | None = None, note: Callable[[str], None] | None = None
) -> list[Outcome]:
    receiver = CallbackReceiver(key=options.callback_key, key_id=options.key_id)
    async with (
        receiver.serving(options.callback_host, options.callback_port, options.callback_url),
        httpx.AsyncClient(headers={"User-Agent": "onething-conformance"}) as http,
    ):
        kit = Kit(options=options, http=http, receiver=receiver)
        if note is not None:
            kit.note = note
        checks = plan(kit)
        outcomes: list[Outcome] = []
        for position, (name, check) in enumerate(checks, start=1):
            if progress:
                progress(position, len(checks), None, name)
            outcome = await _run_one(name, check, ", ".join(options.modes))
            outcomes.append(outcome)
            if progress:
                progress(position, len(checks), outcome, name)
        return outcomes


async def _run_one(name: str, check: Callable[[], Awaitable[str]] | str | None, modes: str) -> Outcome:
    if check is None:
        return Outcome(name, None, f"not applicable to the modes checked ({modes})", 0.0)
    if isinstance(check, str):
        return Outcome(name, None, check, 0.0)
    started = time.monotonic()
    try:
        detail = await check()
    except CheckFailedError as failure:
        return Outcome(name, False, str(failure), time.monotonic() - started)
    return Outcome(name, True, detail, time.monotonic() - started)
