"""The wallet and the public verification page name a licence as the registry does, whatever definitions say."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from api.app import create_app
from core.auth import Role
from one_things.registry import REGISTRY_FILE
from tests.support.catalog import package_copy, publish_copy
from tests.support.db import settings_for
from tests.support.servers import free_port
from tests.support.stack import token

MOTHER = "demo-mother-1"  # holds the seeded marriage certificate
MARRIAGE = "  - code: marriage_certificate\n"


@dataclass
class Running:
    app: FastAPI
    citizen: httpx.AsyncClient
    public: httpx.AsyncClient
    folder: Path

    async def marriage(self) -> dict:
        wallet = (await self.citizen.get("/api/v1/licences")).json()
        return next(licence for licence in wallet if licence["kind"] == "marriage_certificate")

    async def until_catalogue(self, status: str) -> None:
        """The folder is looked at again at most once a second."""
        deadline = time.monotonic() + 10
        while (await self.public.get("/healthz")).json()["catalog"]["status"] != status:
            assert time.monotonic() < deadline, f"catalogue never {status}"
            await asyncio.sleep(0.1)


@pytest.fixture
async def running(tmp_path: Path) -> AsyncIterator[Running]:
    folder = package_copy(tmp_path / "catalog")
    settings = settings_for(tmp_path, catalog_dir=folder, temporal_address=f"127.0.0.1:{free_port()}")
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app)
    bearer = {"Authorization": f"Bearer {token(settings, Role.CITIZEN, MOTHER)}"}
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://api", headers=bearer) as citizen,
        httpx.AsyncClient(transport=transport, base_url="http://api") as public,
    ):
        yield Running(app, citizen, public, folder)


async def test_a_definition_renaming_the_marriage_certificate_changes_no_wallet_and_no_verify_page(
    running: Running,
) -> None:
    licence = await running.marriage()
    assert licence["name"] == {"zh": "结婚证", "en": "Marriage certificate"}
    page = await running.public.get(f"/verify/{licence['verification_code']}")
    assert page.status_code == 200
    assert "<p>结婚证</p>" in page.text

    renamed = MARRIAGE + "    name: {zh: 婚书, en: Marriage deed}\n"
    publish_copy(running.folder, "wedding_gift", "婚礼一件事", edits=((MARRIAGE, renamed),))
    await running.until_catalogue("refused")
    assert (await running.marriage())["name"]["zh"] == "结婚证"
    page = await running.public.get(f"/verify/{licence['verification_code']}")
    assert "<p>结婚证</p>" in page.text
    assert "婚书" not in page.text
    verified = (await running.public.get(f"/api/v1/verify/{licence['verification_code']}")).json()
    assert verified["name"]["zh"] == "结婚证"


async def test_renaming_it_in_the_registry_renames_it_everywhere_without_a_restart(running: Running) -> None:
    publish_copy(running.folder, "wedding_gift", "婚礼一件事")  # uses the certificate, names it nowhere
    registry = running.folder / REGISTRY_FILE
    text = registry.read_text(encoding="utf-8")
    old = "name: {zh: 结婚证, en: Marriage certificate}"
    assert text.count(old) == 1
    registry.write_text(text.replace(old, "name: {zh: 结婚证书, en: Marriage certificate}"), encoding="utf-8")

    deadline = time.monotonic() + 10
    while (licence := await running.marriage())["name"]["zh"] != "结婚证书":
        assert time.monotonic() < deadline, licence
        await asyncio.sleep(0.1)
    page = await running.public.get(f"/verify/{licence['verification_code']}")
    assert "<p>结婚证书</p>" in page.text
    notice = (await running.citizen.get("/api/v1/things/wedding_gift")).json()
    materials = {m["code"]: m["name"]["zh"] for m in notice["materials"]}
    assert materials["marriage_certificate"] == "结婚证书"
