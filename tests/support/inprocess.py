"""The real API in the test's own process, its lifespan run, on the run's database, with a fake case gateway.

No Temporal: `get_case_gateway` is overridden with a `FakeCaseGateway` (which projects the cases it holds
into the app's own database), and the Temporal address points at a closed port, so the few routes that
still need the client directly answer 503 as they would with the engine down.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy.engine import Engine

from api.app import create_app
from api.deps import get_case_gateway
from core.auth import Principal, Role, issue_token
from core.settings import Settings
from one_things.catalog import Catalog, load_catalog
from one_things.demo import demo_request
from tests.support.db import settings_for
from tests.support.fake_gateway import FakeCaseGateway
from tests.support.people import register_if_test_citizen
from tests.support.servers import free_port


@dataclass
class InProcessApi:
    app: FastAPI
    settings: Settings
    catalog: Catalog = field(default_factory=load_catalog)
    gateway: FakeCaseGateway = field(default_factory=FakeCaseGateway)

    @property
    def engine(self) -> Engine:
        engine: Engine = self.app.state.engine
        return engine

    def fresh_gateway(self) -> FakeCaseGateway:
        """A new fake engine for the next test; the database (and the cases in it) stays."""
        self.gateway = FakeCaseGateway(self.engine)
        self.app.dependency_overrides[get_case_gateway] = lambda: self.gateway
        return self.gateway

    def client(self, headers: dict[str, str] | None = None) -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=self.app)
        return httpx.AsyncClient(transport=transport, base_url="http://api", headers=headers)

    def as_user(self, role: Role, subject: str, department: str | None = None) -> httpx.AsyncClient:
        """A client signed in as `subject`; a test's own citizen-… is registered as a parent first."""
        if role is Role.CITIZEN:
            register_if_test_citizen(self.engine, subject)
        bearer = issue_token(self.settings.secret_key, Principal(role=role, subject=subject, department=department))
        return self.client({"Authorization": f"Bearer {bearer}"})

    def newborn(self, **form: Any) -> dict[str, Any]:
        """A valid newborn application (held data left out, the photo included), with `form` overriding fields."""
        body = demo_request(self.catalog.get("newborn"), date.today())
        body["form"] = {**body["form"], **form}  # type: ignore[dict-item]
        return body

    async def submit(self, subject: str, **form: Any) -> str:
        """A newborn case accepted for `subject` (and started on the fake engine); its case number."""
        async with self.as_user(Role.CITIZEN, subject) as citizen:
            response = await citizen.post("/api/v1/applications", json=self.newborn(**form))
        assert response.status_code == 201, response.text
        case_no: str = response.json()["case_no"]
        return case_no


@asynccontextmanager
async def in_process_api(data_dir: Path, **overrides: Any) -> AsyncIterator[InProcessApi]:
    settings = settings_for(data_dir, temporal_address=f"127.0.0.1:{free_port()}", **overrides)
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        api = InProcessApi(app, settings)
        api.fresh_gateway()
        yield api
