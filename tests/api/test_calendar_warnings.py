"""From December 1st the supervision board and /metrics warn while next year's holidays are not loaded.

"Today" is the app's injected clock: November 30th says nothing, December says 2027 is missing, and loading the
2027 file ends the warning at the next request (no restart).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from api.app import create_app
from api.sessions import SESSION_COOKIE
from core import metrics
from core.auth import Principal, Role, issue_token
from core.calendar import TZ
from core.calendar_year import store_year
from core.clock import FollowingClock
from core.settings import Settings
from tests.core.test_calendar_year import GOOD_2027, write
from tests.support.db import settings_for
from tests.support.servers import free_port

NOVEMBER_30 = datetime(2026, 11, 30, 23, 59, tzinfo=TZ)
DECEMBER_1 = datetime(2026, 12, 1, 0, 0, tzinfo=TZ)
BANNER = 'id="calendar-missing"'


@pytest.fixture
async def platform(tmp_path: Path) -> AsyncIterator[tuple[Settings, FollowingClock, httpx.AsyncClient]]:
    clock = FollowingClock()
    clock.align(NOVEMBER_30)
    settings = settings_for(tmp_path / "data", temporal_address=f"127.0.0.1:{free_port()}")
    app = create_app(settings, clock=clock)
    token = issue_token(settings.secret_key, Principal(role=Role.SUPERVISOR, subject="supervisor-calendar"))
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://api", cookies={SESSION_COOKIE: token}
        ) as client,
    ):
        yield settings, clock, client


async def gauge(client: httpx.AsyncClient) -> float:
    exposition = (await client.get("/metrics")).text
    [family] = [f for f in text_string_to_metric_families(exposition) if f.name == metrics.CALENDAR_NEXT_YEAR_MISSING]
    [sample] = family.samples
    return sample.value


async def test_the_board_and_metrics_warn_in_december_until_next_year_is_loaded(
    platform: tuple[Settings, FollowingClock, httpx.AsyncClient], tmp_path: Path
) -> None:
    settings, clock, client = platform
    board = await client.get("/supervision")
    assert board.status_code == 200, board.text[:300]
    assert BANNER not in board.text
    assert await gauge(client) == 0

    clock.align(DECEMBER_1)
    board = await client.get("/supervision")
    assert BANNER in board.text
    assert "尚未载入2027年节假日和调休安排" in board.text
    client.cookies.set("onething_lang", "en")
    english = await client.get("/supervision")
    client.cookies.delete("onething_lang")
    assert "The 2027 holidays and make-up workdays are not loaded" in english.text
    assert await gauge(client) == 1

    store_year(settings.calendar_folder, write(tmp_path, "announcement.yaml", GOOD_2027))
    assert BANNER not in (await client.get("/supervision")).text
    assert await gauge(client) == 0
