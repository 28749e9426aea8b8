"""The whole product in one test process: department stubs and API over real HTTP, a real worker."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from temporalio.client import Client

from api.app import create_app as create_api
from core.auth import Principal, Role, issue_token
from core.database import create_sql_engine
from core.settings import Settings
from core.signing import department_key, signed_headers
from departments.app import create_app as create_departments
from departments.behaviour import StubConfig
from tests.conftest import stack_settings
from tests.support.people import register_if_test_citizen
from tests.support.servers import ThreadedServer
from worker import build_worker


def token(settings: Settings, role: Role, subject: str, department: str | None = None) -> str:
    return issue_token(settings.secret_key, Principal(role=role, subject=subject, department=department))


@dataclass
class Stack:
    settings: Settings
    client: Client
    api: httpx.AsyncClient
    stubs: httpx.AsyncClient

    def as_user(self, role: Role, subject: str, department: str | None = None) -> httpx.AsyncClient:
        """A client signed in as `subject`; a test's own citizen-… is registered as a parent first."""
        if role is Role.CITIZEN:
            engine = create_sql_engine(self.settings.projection_url)
            try:
                register_if_test_citizen(engine, subject)
            finally:
                engine.dispose()
        bearer = token(self.settings, role, subject, department)
        return httpx.AsyncClient(
            base_url=self.settings.api_url, headers={"Authorization": f"Bearer {bearer}"}, timeout=30
        )

    async def wait_case(
        self, citizen: httpx.AsyncClient, case_no: str, statuses: set[str], timeout: float = 60
    ) -> dict[str, Any]:
        """Polls the case as the citizen would until it reaches one of `statuses`."""
        deadline = time.monotonic() + timeout
        body: dict[str, Any] = {}
        while time.monotonic() < deadline:
            response = await citizen.get(f"/api/v1/applications/{case_no}")
            if response.status_code == 200:
                body = response.json()
                if body["status"] in statuses:
                    return body
            await asyncio.sleep(0.2)
        raise AssertionError(f"case {case_no} did not reach {statuses}; last seen {body}")

    async def post_result(self, department: str, case_no: str, item_code: str, **fields: Any) -> httpx.Response:
        """A department's result for `item_code`, signed with its key and posted to its callback, as its system
        would send it: completed for the current round unless `fields` say otherwise (output, status, reason, …)."""
        body = {
            "case_no": case_no,
            "item_code": item_code,
            "idempotency_key": f"{case_no}:{item_code}",
            "status": "completed",
            **fields,
        }
        raw = json.dumps(body).encode()
        headers = signed_headers(department_key(self.settings.secret_key, department), raw)
        return await self.api.post(f"/api/v1/callbacks/{department}", content=raw, headers=headers)

    async def configure(self, department: str, **behaviour: Any) -> None:
        current = (await self.stubs.get(f"/admin/{department}/config")).json()
        response = await self.stubs.put(f"/admin/{department}/config", json={**current, **behaviour})
        response.raise_for_status()


def _stubs(settings: Settings) -> Any:
    return create_departments(settings, StubConfig(clerk_departments=[]))


@asynccontextmanager
async def running_stack(
    client: Client,
    data_dir: Path,
    *,
    with_worker: bool = True,
    departments: Callable[[Settings], Any] | None = None,
    **overrides: Any,
) -> AsyncIterator[Stack]:
    """`departments` builds another department system's app from the settings, served instead of the stubs."""
    settings = stack_settings(data_dir, client, **overrides)
    department_systems = (departments or _stubs)(settings)
    with (
        ThreadedServer(department_systems, port=settings.departments_port),
        ThreadedServer(create_api(settings), port=settings.api_port),
    ):
        async with (
            httpx.AsyncClient(base_url=settings.api_url, timeout=30) as api,
            httpx.AsyncClient(base_url=settings.departments_url, timeout=30) as stubs,
        ):
            stack = Stack(settings=settings, client=client, api=api, stubs=stubs)
            if not with_worker:
                yield stack
                return
            async with build_worker(client, settings) as worker, worker:
                yield stack
