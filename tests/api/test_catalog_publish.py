"""Publishing into ONETHING_CATALOG_DIR while the real API runs: served without a restart, by today's version rules."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from api.app import create_app
from core.auth import Role
from one_things.catalog import CATALOG_DIR
from one_things.loader import load_definition
from persistence.db import session_scope
from persistence.definitions import record_definition
from tests.support.catalog import TWINS, catalogue_with_twins, publish_copy
from tests.support.db import settings_for
from tests.support.servers import free_port
from tests.support.stack import token

PACKAGE = len([path for path in CATALOG_DIR.glob("*.yaml") if not path.name.startswith("_")])
"""The package's own definitions (not its `_registry.yaml` of names), which the test's folder starts from."""

TRIPLETS = "newborn_triplets"
TRIPLETS_NAME = "三胞胎出生一件事"
FASTER_CARD = ("    promised_days: 7\n", "    promised_days: 6\n")


@dataclass
class Running:
    app: FastAPI
    api: httpx.AsyncClient
    folder: Path

    async def until(self, path: str, ready: Callable[[httpx.Response], bool]) -> httpx.Response:
        """The folder is looked at again at most once a second: ask until the answer shows the change."""
        deadline = time.monotonic() + 10
        while not ready(response := await self.api.get(path)):
            assert time.monotonic() < deadline, f"{path}: still {response.status_code} {response.text[:300]}"
            await asyncio.sleep(0.1)
        return response

    async def card_days(self, code: str) -> int:
        definition = (await self.api.get(f"/api/v1/things/{code}")).json()["definition"]
        return next(item["promised_days"] for item in definition["items"] if item["code"] == "social_security_card")


@pytest.fixture
async def running(tmp_path: Path) -> AsyncIterator[Running]:
    folder = catalogue_with_twins(tmp_path / "catalog")
    # No Temporal: the catalogue needs none, and the API serves while the case engine is away.
    settings = settings_for(tmp_path, catalog_dir=folder, temporal_address=f"127.0.0.1:{free_port()}")
    app = create_app(settings)
    bearer = {"Authorization": f"Bearer {token(settings, Role.CITIZEN, 'citizen-catalogue')}"}
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://api", headers=bearer) as api,
    ):
        yield Running(app, api, folder)


def healthy(response: httpx.Response) -> bool:
    return bool(response.json()["catalog"]["status"] == "ok")


def refused(response: httpx.Response) -> bool:
    return bool(response.json()["catalog"]["status"] == "refused")


async def test_a_definition_dropped_in_is_served_without_a_restart(running: Running) -> None:
    assert (await running.api.get(f"/api/v1/things/{TWINS}")).status_code == 200  # the one there at start
    assert (await running.api.get(f"/api/v1/things/{TRIPLETS}")).status_code == 404

    publish_copy(running.folder, TRIPLETS, TRIPLETS_NAME)
    shown = await running.until(f"/api/v1/things/{TRIPLETS}", lambda r: r.status_code == 200)
    assert shown.json()["name"]["zh"] == TRIPLETS_NAME
    assert TRIPLETS in {thing["code"] for thing in (await running.api.get("/api/v1/things")).json()}
    health = (await running.api.get("/healthz")).json()
    assert health == {"status": "ok", "catalog": {"status": "ok", "definitions": PACKAGE + 2, "errors": 0}}


async def test_an_edit_that_kept_an_accepted_version_is_refused_and_the_old_one_served(
    running: Running, caplog: pytest.LogCaptureFixture
) -> None:
    path = running.folder / f"{TWINS}.yaml"
    with session_scope(running.app.state.engine) as session:  # what accepting a case on it stores
        record_definition(session, thing=load_definition(path), accepted_at=datetime.now(UTC))

    publish_copy(running.folder, TWINS, "双胞胎出生一件事", edits=(FASTER_CARD,))
    with caplog.at_level(logging.ERROR, logger="onething.catalog"):
        health = await running.until("/healthz", refused)
    assert health.json()["status"] == "ok"  # the last good catalogue is served: nothing to restart
    assert health.json()["catalog"]["errors"] == 1
    assert await running.card_days(TWINS) == 7
    assert f"{TWINS}.yaml:15: version: definition '{TWINS}' changed" in caplog.text

    publish_copy(running.folder, TWINS, "双胞胎出生一件事", edits=(FASTER_CARD, ("\nversion: 4\n", "\nversion: 5\n")))
    await running.until("/healthz", healthy)
    assert await running.card_days(TWINS) == 6


async def test_a_broken_file_leaves_the_last_good_catalogue_served_and_reported(
    running: Running, caplog: pytest.LogCaptureFixture
) -> None:
    broken = running.folder / "broken.yaml"
    broken.write_text("code: broken\nversion: 1\nname: {zh: 坏\n", encoding="utf-8")
    with caplog.at_level(logging.ERROR, logger="onething.catalog"):
        health = await running.until("/healthz", refused)
    assert health.json()["catalog"]["definitions"] == PACKAGE + 1
    assert (await running.api.get(f"/api/v1/things/{TWINS}")).status_code == 200
    assert len((await running.api.get("/api/v1/things")).json()) == PACKAGE + 1
    assert f"still serving the last good one ({PACKAGE + 1} definitions)" in caplog.text
    assert "broken.yaml:3: " in caplog.text

    broken.unlink()
    await running.until("/healthz", healthy)
