"""The time on a citizen's case and case list says what it is (when the case was accepted) and is Shanghai time:
a case accepted on Sunday 15 November 2026 at 10:30 in Shanghai (02:30 UTC) reads "受理于 2026-11-15 10:30"."""

from __future__ import annotations

from datetime import datetime

from core.auth import Role
from core.calendar import TZ
from tests.routers.test_staff_workbench import page_client, text
from tests.support.fake_gateway import FakeCaseGateway
from tests.support.inprocess import InProcessApi

ACCEPTED = datetime(2026, 11, 15, 10, 30, tzinfo=TZ)
SAID = {"zh": "受理于 2026-11-15 10:30", "en": "accepted 2026-11-15 10:30"}


async def test_the_case_and_the_list_say_when_it_was_accepted(api: InProcessApi, gateway: FakeCaseGateway) -> None:
    case_no = await api.submit("citizen-accepted-at")
    await gateway.put(case_no, accepted_at=ACCEPTED)
    for lang, sentence in SAID.items():
        citizen, _ = page_client(api, Role.CITIZEN, "citizen-accepted-at", lang=lang)
        async with citizen:
            case_page = text((await citizen.get(f"/cases/{case_no}")).text)
            listed = text((await citizen.get("/cases")).text)
        assert f"{case_no} · {sentence}" in case_page, case_page[:400]
        assert f"{case_no} · {sentence}" in listed, listed[:400]
