"""The auto-clerk against a tiny fake platform API (the edge of this package)."""

from __future__ import annotations

import asyncio
import re
import threading
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Header, HTTPException

from core.auth import Role, read_token
from core.settings import Settings
from departments.clerk import run_clerk
from tests.departments.conftest import SECRET, port_of, reserve_socket, serve
from tests.departments.receiver import eventually


@dataclass
class FakePlatform:
    queue: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    decisions: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    refuse_once: set[tuple[str, str]] = field(default_factory=set)
    """Items whose first decision is answered 409 while they stay queued (a decision lost with a killed worker)."""

    def app(self) -> FastAPI:
        app = FastAPI()

        def staff(authorization: str) -> str:
            try:
                principal = read_token(SECRET, authorization.removeprefix("Bearer "))
            except Exception as error:  # whatever core.auth raises for a bad token
                raise HTTPException(401) from error
            if principal.role is not Role.STAFF or not principal.department:
                raise HTTPException(403)
            return principal.department

        @app.get("/api/v1/staff/queue")
        async def queue(authorization: str = Header()) -> dict[str, Any]:
            return {"items": self.queue.get(staff(authorization), [])}

        @app.post("/api/v1/staff/items/{case_no}/{item_code}/decision")
        async def decide(
            case_no: str, item_code: str, body: dict[str, Any], authorization: str = Header()
        ) -> dict[str, str]:
            department = staff(authorization)
            with self.lock:
                if (case_no, item_code) in self.refuse_once:
                    self.refuse_once.discard((case_no, item_code))
                    raise HTTPException(409)
                self.decisions.append({"department": department, "case_no": case_no, "item_code": item_code, **body})
                # Decided items leave the queue, as they would on the platform.
                items = self.queue.get(department, [])
                self.queue[department] = [i for i in items if (i["case_no"], i["item_code"]) != (case_no, item_code)]
            return {"status": "ok"}

        return app


def queued(case_no: str, item_code: str, department: str, outputs: list[str]) -> dict[str, Any]:
    return {"case_no": case_no, "item_code": item_code, "department": department, "outputs": outputs, "due_at": "x"}


async def test_clerk_approves_queued_items_and_waits_out_a_down_api(tmp_path: Any) -> None:
    platform = FakePlatform(
        queue={
            "cdc": [queued("K1", "vaccination", "cdc", ["vaccination_cert_no"])],
            "civil": [queued("K2", "registry", "civil", ["registry_no"])],
            "other": [queued("K3", "x", "other", [])],  # not served by this clerk
        }
    )
    sock = reserve_socket()  # bound but not listening yet: the API is "down" when the clerk starts
    settings = Settings(data_dir=tmp_path, secret_key=SECRET, api_port=port_of(sock))
    stop = asyncio.Event()
    clerk = asyncio.create_task(run_clerk(settings, ["cdc", "civil"], stop, latency_ms=10, poll_ms=50))
    await asyncio.sleep(0.3)
    assert not clerk.done()  # tolerated, quietly
    with serve(platform.app(), sock):
        await eventually(lambda: len(platform.decisions) == 2)
        await asyncio.sleep(0.3)  # further polls must not decide the same items again
    stop.set()
    await asyncio.wait_for(clerk, timeout=5)
    by_case = {d["case_no"]: d for d in platform.decisions}
    assert len(platform.decisions) == 2
    assert by_case["K1"]["department"] == "cdc"
    assert by_case["K1"]["decision"] == "approve"
    assert by_case["K1"]["reason"] is None
    assert re.fullmatch(r"YM\d+", by_case["K1"]["output"]["vaccination_cert_no"])
    assert re.fullmatch(r"CIVIL-[0-9a-f]{8}", by_case["K2"]["output"]["registry_no"])


async def test_clerk_with_no_departments_returns_at_once(tmp_path: Any) -> None:
    await asyncio.wait_for(run_clerk(Settings(data_dir=tmp_path), [], asyncio.Event()), timeout=1)


async def test_an_item_refused_409_but_still_queued_is_decided_on_a_later_poll(tmp_path: Any) -> None:
    platform = FakePlatform(
        queue={"cdc": [queued("K1", "vaccination", "cdc", ["vaccination_cert_no"])]},
        refuse_once={("K1", "vaccination")},
    )
    sock = reserve_socket()
    settings = Settings(data_dir=tmp_path, secret_key=SECRET, api_port=port_of(sock))
    stop = asyncio.Event()
    with serve(platform.app(), sock):
        clerk = asyncio.create_task(run_clerk(settings, ["cdc"], stop, latency_ms=10, poll_ms=50))
        await eventually(lambda: len(platform.decisions) == 1)
        await asyncio.sleep(0.3)  # decided now: it left the queue and is not decided twice
        stop.set()
        await asyncio.wait_for(clerk, timeout=5)
    assert not platform.refuse_once  # the first try was refused
    assert [(d["case_no"], d["decision"]) for d in platform.decisions] == [("K1", "approve")]
