"""The supervisors' board asked for a period that ends before it starts: the page says which rule and what to do,
in its own language, not the general "something you sent is not accepted"."""

from __future__ import annotations

from core.auth import Role
from tests.routers.test_staff_workbench import page_client, text
from tests.support.inprocess import InProcessApi

SAID = {
    "zh": "统计期间的起始日期晚于截止日期:请调换两个日期,或清空其中一个。",
    "en": "The period starts after it ends: swap the two dates, or clear one of them.",
}


async def test_a_reversed_period_is_refused_naming_the_rule(api: InProcessApi) -> None:
    for lang, sentence in SAID.items():
        supervisor, _ = page_client(api, Role.SUPERVISOR, "supervisor-period", lang=lang)
        async with supervisor:
            page = await supervisor.get("/supervision", params={"since": "2026-12-10", "until": "2026-12-01"})
            api_answer = await supervisor.get(
                "/api/v1/supervision/board", params={"since": "2026-12-10", "until": "2026-12-01"}
            )
        assert page.status_code == 422, page.text
        assert sentence in text(page.text), (lang, text(page.text)[-300:])
        # Programs keep their problem+json, naming the field.
        assert api_answer.status_code == 422
        assert api_answer.json()["errors"][0]["field"] == "since"
