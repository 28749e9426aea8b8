"""The alt department's HTTP side: the four operations of the contract, per department under `prefix`."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import random
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import httpx
from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from tests.support.alt_department.ledger import Ledger, Row

WITHDRAWN = "The applicant withdrew the application. / 申请人已撤回申请。"
FINAL_4XX_EXCEPT = {409, 425, 429}
"""Callback answers the contract says to send again (besides 5xx and network errors)."""


@dataclass(frozen=True)
class SigningKey:
    key_id: str
    secret: bytes


@dataclass(frozen=True)
class AltConfig:
    database: Path
    keys: dict[str, SigningKey]
    """Per department code, the key the platform issued for its callbacks."""
    prefix: str = ""
    decide_after_s: float = 0.2
    faults: frozenset[str] = frozenset()
    """`new-record-on-repeat`, `wrong-signature`, `slow-escalations` (2 s): a deliberately broken department."""


class MaterialBody(BaseModel):
    """A material of the submission (contract 1.1): checked for shape; this system downloads none of them."""

    model_config = ConfigDict(extra="forbid")

    code: str = Field(min_length=1, max_length=64)
    source: Literal["citizen", "shared_data", "licence_library"]
    content_type: str | None = Field(default=None, max_length=64)
    size: int | None = Field(default=None, ge=0)
    sha256: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$")
    url: str | None = Field(default=None, max_length=2000)
    expires_at: int | None = None
    content_base64: str | None = None
    reference: str | None = Field(default=None, max_length=200)


class SubmissionBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    idempotency_key: str = Field(min_length=1, max_length=200)
    case_no: str = Field(min_length=1, max_length=80)
    item_code: str = Field(min_length=1, max_length=80)
    mode: Literal["sync_rest", "async_callback", "batch"]
    payload: dict[str, Any] = Field(default_factory=dict)
    outputs: list[str] = Field(default_factory=list)
    callback_url: str | None = None
    materials: list[MaterialBody] = Field(default_factory=list, max_length=50)


class NoticeBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    case_no: str = Field(min_length=1, max_length=80)
    item_code: str = Field(min_length=1, max_length=80)
    level: str = Field(min_length=1, max_length=40)
    note: str = Field(default="", max_length=2000)


class Refusal(Exception):  # noqa: N818 - it is the answer, not an error of ours
    def __init__(self, status: int, title: str, detail: str) -> None:
        super().__init__(detail)
        self.status, self.title, self.detail = status, title, detail


def problem(status: int, title: str, detail: str) -> JSONResponse:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail}
    return JSONResponse(body, status_code=status, media_type="application/problem+json")


@dataclass
class Department:
    config: AltConfig
    ledger: Ledger
    http: httpx.AsyncClient
    tasks: set[asyncio.Task[None]] = field(default_factory=set)

    def outputs_for(self, row: Row) -> dict[str, str]:
        base = row.idem_key.rsplit(":r", 1)[0] if ":r" in row.idem_key else row.idem_key
        return {
            name: "ALT" + hashlib.sha256(f"{row.department}|{base}|{name}".encode()).hexdigest()[:10].upper()
            for name in row.outputs
        }

    def decide(self, row: Row) -> Row:
        self.ledger.decide(row.id, "completed", self.outputs_for(row), None)
        decided = self.ledger.by_id(row.id)
        assert decided is not None
        return decided

    def submit(self, department: str, body: SubmissionBody) -> Row:
        if body.mode == "async_callback" and not body.callback_url:
            raise Refusal(422, "callback_url is required", "Send callback_url with mode async_callback.")
        if body.materials and "refuses-materials" in self.config.faults:  # a system still on contract 1.0
            raise Refusal(422, "unknown field materials", "Accept the materials field of contract 1.1.")
        data = body.model_dump()
        found = self.ledger.find(department, body.idempotency_key)
        if found is not None and "new-record-on-repeat" not in self.config.faults:
            return self.repeat(found, data)
        due = time.time() + self.config.decide_after_s
        row = self.ledger.insert(department, data, "accepted", due)
        if body.mode == "sync_rest":
            return self.decide(row)
        if body.mode == "async_callback":
            self.schedule(row.id)
        return row

    def repeat(self, found: Row, data: dict[str, Any]) -> Row:
        if found.mode is None:  # withdrawn before it was submitted: it stays withdrawn
            self.ledger.fill_tombstone(found.id, data)
        elif (found.case_no, found.item_code, found.mode) != (data["case_no"], data["item_code"], data["mode"]):
            raise Refusal(
                422,
                "Idempotency key reused",
                "This idempotency_key was used for other work; use a new key for a different item.",
            )
        else:
            self.ledger.count_submission(found.id)
        row = self.ledger.by_id(found.id)
        assert row is not None
        return row

    def current(self, department: str, key: str) -> Row:
        row = self.ledger.find(department, key)
        if row is None:
            raise Refusal(404, "Unknown submission", "No submission with this idempotency_key; submit it first.")
        if row.mode == "batch" and row.status == "accepted" and time.time() >= row.due:
            return self.decide(row)  # our nightly run, collapsed to the moment someone asks
        return row

    def withdraw(self, department: str, key: str) -> Row:
        row = self.ledger.find(department, key)
        if row is None:  # the withdrawal overtook the submission: remember the key as withdrawn
            case_no, _, rest = key.partition(":")
            tombstone = {"idempotency_key": key, "case_no": case_no, "item_code": rest.split(":")[0]}
            return self.ledger.insert(department, tombstone, "withdrawn", time.time(), times=0, reason=WITHDRAWN)
        self.ledger.decide(row.id, "withdrawn", None, WITHDRAWN)  # only an undecided row changes
        updated = self.ledger.by_id(row.id)
        assert updated is not None
        return updated

    # --- callbacks -----------------------------------------------------------------------------------

    def schedule(self, row_id: int) -> None:
        task = asyncio.create_task(self.deliver(row_id))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def deliver(self, row_id: int) -> None:
        row = self.ledger.by_id(row_id)
        if row is None:
            return
        await asyncio.sleep(max(0.0, row.due - time.time()))
        row = self.ledger.by_id(row_id)
        if row is None or row.status == "withdrawn":
            return
        if row.status == "accepted":
            row = self.decide(row)
        pause = 0.2
        while True:
            current = self.ledger.by_id(row_id)
            if current is None or current.delivered:
                return
            if await self.post(current):
                self.ledger.mark_delivered(row_id)
                return
            await asyncio.sleep(random.uniform(pause / 2, pause))
            pause = min(pause * 2, 5.0)

    async def post(self, row: Row) -> bool:
        """True when delivery is over (taken, ignored or finally refused); False to send again."""
        key = self.config.keys.get(row.department)
        if key is None or not row.callback_url:
            return True  # nothing we could sign with: an operator's fix, not a retry loop
        result = {
            "idempotency_key": row.idem_key,
            "case_no": row.case_no,
            "item_code": row.item_code,
            "receipt_no": row.receipt,
            "status": row.status,
            "output": row.output,
            "reason": row.reason,
        }
        body = json.dumps(result, ensure_ascii=False).encode("utf-8")
        stamp = str(int(time.time()))
        secret = key.secret[::-1] if "wrong-signature" in self.config.faults else key.secret
        digest = hmac.new(secret, stamp.encode("ascii") + b"." + body, hashlib.sha256).hexdigest()
        headers = {
            "Content-Type": "application/json",
            "X-Onething-Timestamp": stamp,
            "X-Onething-Signature": f"sha256={digest}",
            "X-Onething-Key-Id": key.key_id,
        }
        try:
            answer = await self.http.post(row.callback_url, content=body, headers=headers)
        except httpx.HTTPError:
            return False
        code = answer.status_code
        return 200 <= code < 300 or (400 <= code < 500 and code not in FINAL_4XX_EXCEPT)


def create_alt_department(config: AltConfig) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        ledger = Ledger(config.database)
        async with httpx.AsyncClient(timeout=10) as http:
            department = Department(config, ledger, http)
            app.state.department = department
            for row in ledger.undelivered():  # results still owed when we last stopped
                department.schedule(row.id)
            try:
                yield
            finally:
                for task in list(department.tasks):
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await task
                ledger.close()

    app = FastAPI(title="alt department", lifespan=lifespan)
    router = APIRouter(prefix=config.prefix + "/{department}")

    def dept(request: Request) -> Department:
        held: Department = request.app.state.department
        return held

    @router.post("/submissions")
    async def submit(department: str, body: SubmissionBody, request: Request) -> dict[str, Any]:
        return dept(request).submit(department, body).answer()

    @router.get("/submissions/{key}")
    async def read(department: str, key: str, request: Request) -> dict[str, Any]:
        return dept(request).current(department, key).answer()

    @router.post("/submissions/{key}/withdraw")
    async def withdraw(department: str, key: str, request: Request) -> dict[str, Any]:
        return dept(request).withdraw(department, key).answer()

    @router.post("/escalations")
    async def escalate(department: str, body: NoticeBody, request: Request) -> dict[str, Any]:
        if "slow-escalations" in config.faults:
            await asyncio.sleep(2)
        now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
        return dept(request).ledger.notice(department, body.model_dump(), now)

    app.include_router(router)

    @app.exception_handler(Refusal)
    async def refused(_request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, Refusal)
        return problem(error.status, error.title, error.detail)

    @app.exception_handler(RequestValidationError)
    async def invalid(_request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, RequestValidationError)
        fields = sorted({".".join(str(p) for p in e["loc"][1:]) or "body" for e in error.errors()})
        return problem(422, "Invalid request", "Fix these fields: " + ", ".join(fields))

    return app
