"""What a citizen waits for, readable on the case page: while an item waits for their correction its clock is
stopped (DESIGN: time limits), said beside the promised date, which would otherwise read as still running; and how
many items are done, beside the bar."""

from __future__ import annotations

from datetime import UTC, datetime

from core.auth import Role
from tests.routers.test_staff_workbench import page_client, text
from tests.support.fake_gateway import FakeCaseGateway
from tests.support.inprocess import InProcessApi
from workflows.contracts import CaseStatus, Holder, ItemStatus

NOW = datetime.now(UTC)
SAID = {
    "zh": "补正期间暂停计时,提交补正后承诺日期相应顺延",
    "en": "the clock is paused until you send the correction; the promised date then moves on by as long",
}


async def test_a_waiting_item_says_its_clock_is_paused(api: InProcessApi, gateway: FakeCaseGateway) -> None:
    case_no = await api.submit("citizen-clock-paused")
    running = await api.submit("citizen-clock-paused", newborn_name="王小跑")
    await gateway.put(
        case_no, "vaccination_certificate", status=ItemStatus.WAITING_CITIZEN, holder=Holder.CITIZEN, reason="照片模糊"
    )
    await gateway.put(case_no, status=CaseStatus.WAITING_CITIZEN)
    for lang, sentence in SAID.items():
        citizen, _ = page_client(api, Role.CITIZEN, "citizen-clock-paused", lang=lang)
        async with citizen:
            waiting_page = text((await citizen.get(f"/cases/{case_no}")).text)
            running_page = text((await citizen.get(f"/cases/{running}")).text)
        assert waiting_page.count(sentence) == 1, waiting_page[:600]  # the waiting item only, not its siblings
        assert sentence not in running_page


async def test_the_progress_bar_says_how_many_items_are_done(api: InProcessApi, gateway: FakeCaseGateway) -> None:
    """The bar alone is a grey strip until something is done; the count beside it is what a citizen waits for."""
    case_no = await api.submit("citizen-progress-count")
    await gateway.put(case_no, "birth_certificate", status=ItemStatus.COMPLETED, holder=None, finished_at=NOW)
    for lang, sentence in {"zh": "已办结 1 / 5 项", "en": "1 of 5 items done"}.items():
        citizen, _ = page_client(api, Role.CITIZEN, "citizen-progress-count", lang=lang)
        async with citizen:
            shown = text((await citizen.get(f"/cases/{case_no}")).text)
        assert sentence in shown, shown[:500]
