"""A page asked for with a value it cannot take (a search longer than the box allows, a day that is not a date)
answers with the rule broken, in the page's language, not only "something you sent is not accepted"."""

from __future__ import annotations

from core.auth import Role
from tests.routers.test_staff_workbench import page_client, text
from tests.support.inprocess import InProcessApi

BAD_DAY = {"since": "2026-13-10"}
CASES = {
    "zh": [("/", {"q": "生" * 101}, "最多 100 个字"), ("/supervision", BAD_DAY, "不是有效的日期")],
    "en": [("/", {"q": "b" * 101}, "at most 100 characters"), ("/supervision", BAD_DAY, "not a calendar date")],
}


async def test_a_bad_query_value_is_refused_naming_the_rule(api: InProcessApi) -> None:
    for lang, cases in CASES.items():
        supervisor, _ = page_client(api, Role.SUPERVISOR, "supervisor-query", lang=lang)
        async with supervisor:
            for path, params, rule in cases:
                page = await supervisor.get(path, params=params)
                assert page.status_code == 422, (path, page.status_code)
                assert rule in text(page.text), (lang, path, text(page.text)[-300:])
