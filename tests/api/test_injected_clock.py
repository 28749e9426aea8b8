"""The API reads "now" from the clock it was built with, for writes and for lights alike.

Under `onething simulate` the platform runs weeks ahead of the wall clock: a clerk's claim and the queue's
light must both be judged on the simulated clock, not one on it and the other on the wall clock.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from api.app import create_app
from core.auth import Role
from core.clock import FollowingClock
from persistence.cases import project_case, record_accepted_case
from persistence.db import session_scope
from tests.support.db import settings_for
from tests.support.servers import free_port
from tests.support.stack import token
from workflows.contracts import CaseState, Holder, ItemState, ItemStatus, Light

ACCEPTED = datetime(2031, 3, 3, 1, 0, tzinfo=UTC)  # a Monday, far from the wall clock
DUE = ACCEPTED + timedelta(days=7)
YELLOW = DUE - timedelta(days=2)


@pytest.fixture
async def platform(tmp_path: Path) -> AsyncIterator[tuple[FastAPI, FollowingClock, httpx.AsyncClient]]:
    clock = FollowingClock()
    clock.align(ACCEPTED)
    settings = settings_for(tmp_path, temporal_address=f"127.0.0.1:{free_port()}")
    app = create_app(settings, clock=clock)
    clerk = {"Authorization": f"Bearer {token(settings, Role.STAFF, 'clerk-clock', department='cdc')}"}
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://api", headers=clerk) as api,
    ):
        _waiting_for_a_clerk(app)
        yield app, clock, api


def _waiting_for_a_clerk(app: FastAPI) -> None:
    item = ItemState(
        code="vaccination_certificate",
        department="cdc",
        mode="standard_module",
        status=ItemStatus.RUNNING,
        holder=Holder.STAFF,
        started_at=ACCEPTED,
        due_at=DUE,
        statutory_due_at=DUE,
        yellow_at=YELLOW,
        light=Light.GREEN,
    )
    state = CaseState(case_no="CLOCK-1", thing="newborn", version=1, owner="o", accepted_at=ACCEPTED, items=[item])
    state.seq = 1
    with session_scope(app.state.engine) as session:
        record_accepted_case(session, case_no="CLOCK-1", thing="newborn", version=1, owner="o", accepted_at=ACCEPTED)
        project_case(session, state=state, now=ACCEPTED)


async def test_the_queue_light_and_a_claim_follow_the_injected_clock(platform) -> None:  # type: ignore[no-untyped-def]
    _, clock, api = platform
    [entry] = (await api.get("/api/v1/staff/queue")).json()["items"]
    assert entry["light"] == "green"  # on the wall clock (years earlier) it would be green too: now move on

    clock.align(YELLOW + timedelta(hours=1))
    [entry] = (await api.get("/api/v1/staff/queue")).json()["items"]
    assert entry["light"] == "yellow"

    clock.align(DUE + timedelta(days=1))
    [entry] = (await api.get("/api/v1/staff/queue")).json()["items"]
    assert entry["light"] == "red"
    claimed = await api.post("/api/v1/staff/items/CLOCK-1/vaccination_certificate/claim")
    assert claimed.status_code == 200, claimed.text
    claimed_at = datetime.fromisoformat(claimed.json()["claimed_at"])
    assert abs(claimed_at - (DUE + timedelta(days=1))) < timedelta(minutes=1)  # stamped in simulated time
