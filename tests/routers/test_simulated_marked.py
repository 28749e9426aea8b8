"""Simulated cases are marked wherever a supervisor meets one: the drill-down list that counts them says so, and
a simulated case's own page says it is not a real application."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from core.auth import Role
from tests.routers.test_figures import official_browser
from tests.support.inprocess import InProcessApi, in_process_api
from workflows.contracts import Holder, ItemStatus, Light

ITEMS_NOTICE = "包含模拟数据:以下数字含模拟程序生成的办件。"
CASE_NOTICE = "模拟办件:由模拟程序生成,不是真实申请,不计入默认统计。"


async def overdue_case(api: InProcessApi, subject: str) -> str:
    case_no = await api.submit(subject)
    now = datetime.now(UTC)
    await api.gateway.put(
        case_no,
        "birth_certificate",
        status=ItemStatus.RUNNING,
        holder=Holder.DEPARTMENT,
        started_at=now - timedelta(days=10),
        due_at=now - timedelta(days=3),
        statutory_due_at=now - timedelta(days=1),
        light=Light.RED,
    )
    return case_no


async def test_a_supervisor_sees_which_cases_are_simulated(tmp_path: Path) -> None:
    async with in_process_api(tmp_path, simulated=True) as simulation:  # what `onething simulate` runs
        simulated = await overdue_case(simulation, "citizen-sim-overdue")
    async with in_process_api(tmp_path) as api:
        real = await overdue_case(api, "citizen-real-overdue")
        async with official_browser(api, Role.SUPERVISOR) as supervisor:
            with_simulated = await supervisor.get("/supervision/items", params={"light": "red", "simulated": "true"})
            real_only = await supervisor.get("/supervision/items", params={"light": "red"})
            simulated_page = await supervisor.get(f"/supervision/cases/{simulated}")
            real_page = await supervisor.get(f"/supervision/cases/{real}")
    assert simulated in with_simulated.text
    assert real in with_simulated.text
    assert ITEMS_NOTICE in with_simulated.text
    assert simulated not in real_only.text
    assert ITEMS_NOTICE not in real_only.text
    assert simulated_page.status_code == real_page.status_code == 200
    assert CASE_NOTICE in simulated_page.text
    assert CASE_NOTICE not in real_page.text
