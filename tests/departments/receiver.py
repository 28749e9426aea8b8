"""A small platform stand-in that receives callbacks and checks their signatures with core.signing."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request, Response

from core.signing import DERIVED_KEY_ID, KEY_ID_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, department_key, verify


@dataclass
class Receiver:
    secret: str
    statuses: list[int] = field(default_factory=list)
    """Answers to give, in order; once used up every callback gets 200."""
    received: list[dict[str, Any]] = field(default_factory=list)
    attempts: int = 0
    issued: dict[str, tuple[str, bytes]] = field(default_factory=dict)
    """Keys issued to departments (key id, key); the others sign with the demo key."""
    lock: threading.Lock = field(default_factory=threading.Lock)

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/api/v1/callbacks/{department}")
        async def callback(department: str, request: Request) -> Response:
            body = await request.body()
            key_id, key = self.issued.get(department, (DERIVED_KEY_ID, department_key(self.secret, department)))
            refusal = "wrong key id" if request.headers.get(KEY_ID_HEADER) != key_id else None
            refusal = refusal or verify(
                key,
                request.headers.get(TIMESTAMP_HEADER, ""),
                request.headers.get(SIGNATURE_HEADER, ""),
                body,
            )
            with self.lock:
                self.attempts += 1
                if refusal is not None:
                    return Response(refusal, status_code=401)
                status = self.statuses.pop(0) if self.statuses else 200
                if status == 200:
                    self.received.append({"department": department, **json.loads(body)})
            return Response(status_code=status)

        return app


async def eventually(check: Callable[[], Any], within: float = 10.0, interval: float = 0.05) -> Any:
    """Poll `check` (sync or async) until it returns something truthy."""
    deadline = time.monotonic() + within
    while True:
        result = check()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(interval)
