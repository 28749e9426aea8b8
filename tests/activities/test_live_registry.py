"""An operator connects or moves a department by editing the registry file: the running worker's next call
goes where the file now says, and a broken edit leaves the last good registry in use, its mistake logged."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from activities.gateways import DepartmentHttp, GatewayContext, Gateways, NotRegisteredError
from one_things.live_registry import LiveRegistry
from one_things.schema import IntegrationMode
from tests.activities.test_gateways import Department, submission
from tests.support.servers import ThreadedServer

REGISTRY = """\
version: 1
departments:
  police:
    name: {{zh: 公安, en: Police}}
    modes: [sync_rest]
    base_url: "{url}/gov/police"
    auth: {{kind: bearer, token_env: POLICE_TOKEN}}
"""


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


async def test_the_next_call_goes_where_the_edited_registry_says(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("POLICE_TOKEN", "t0ken")
    old_system, new_system = Department(), Department()
    file = tmp_path / "departments.yaml"
    clock = Clock()
    with ThreadedServer(old_system.app()) as old, ThreadedServer(new_system.app()) as new:
        file.write_text(REGISTRY.format(url=old.url), encoding="utf-8")
        live = LiveRegistry(file, monotonic=clock)
        async with httpx.AsyncClient() as client:
            gateways = Gateways(live, GatewayContext(DepartmentHttp(client), "https://platform.example"))
            await gateways.for_mode("police", IntegrationMode.SYNC_REST).submit(submission())
            assert len(old_system.seen) == 1

            file.write_text(REGISTRY.format(url=new.url), encoding="utf-8")
            clock.now += 0.5  # looked at most once a second
            await gateways.for_mode("police", IntegrationMode.SYNC_REST).submit(submission())
            assert (len(old_system.seen), len(new_system.seen)) == (2, 0)
            clock.now += 1
            await gateways.for_mode("police", IntegrationMode.SYNC_REST).submit(submission())
            assert (len(old_system.seen), len(new_system.seen)) == (2, 1)


async def test_a_broken_edit_keeps_the_last_good_registry_and_says_where(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("POLICE_TOKEN", "t0ken")
    system = Department()
    file = tmp_path / "departments.yaml"
    clock = Clock()
    with ThreadedServer(system.app()) as server:
        file.write_text(REGISTRY.format(url=server.url), encoding="utf-8")
        live = LiveRegistry(file, monotonic=clock)
        broken = REGISTRY.format(url=server.url).replace("modes: [sync_rest]", "modes: [by_pigeon]")
        file.write_text(broken, encoding="utf-8")
        clock.now += 2
        async with httpx.AsyncClient() as client:
            gateways = Gateways(live, GatewayContext(DepartmentHttp(client), "https://platform.example"))
            await gateways.for_mode("police", IntegrationMode.SYNC_REST).submit(submission())
        assert len(system.seen) == 1
        [error] = live.errors
        assert (error.line, error.location) == (5, "departments.police.modes[0]")
        assert "department registry not reloaded" in caplog.text

        # Fixed, and a department removed: calls to it are refused as not registered (and retried by Temporal).
        file.write_text(REGISTRY.format(url=server.url).replace("police", "tax"), encoding="utf-8")
        clock.now += 2
        assert live.current().departments.keys() == {"tax"}
        assert live.errors == ()
        async with httpx.AsyncClient() as client:
            gateways = Gateways(live, GatewayContext(DepartmentHttp(client), "https://platform.example"))
            with pytest.raises(NotRegisteredError):
                gateways.for_mode("police", IntegrationMode.SYNC_REST)
