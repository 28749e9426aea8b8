"""The one notice's questions as a citizen meets them: a first visit shows the questions without a refusal, and a
plan asked for with a question left open says which question, in the page's language."""

from __future__ import annotations

import re
from datetime import datetime
from html import unescape

from api.deps import get_clock
from core.calendar import TZ
from tests.support.inprocess import InProcessApi

ALERT = re.compile(r'<div class="errors" role="alert">(.*?)</div>', re.S)
OPEN_QUESTION = {"zh": "新生儿户口准备登记在哪里?", "en": "Where will the newborn's hukou be registered?"}
ANSWER_FIRST = {"zh": "请先回答这个问题", "en": "please answer this question first"}


def alert(html: str) -> str | None:
    found = ALERT.search(html)
    return unescape(re.sub(r"<[^>]+>", "", found.group(1))) if found else None


async def test_a_first_visit_shows_the_questions_without_a_refusal(api: InProcessApi) -> None:
    async with api.client({"Cookie": "onething_lang=zh"}) as client:
        page = await client.get("/things/newborn")
    assert page.status_code == 200, page.text
    assert OPEN_QUESTION["zh"] in page.text  # the question is asked
    assert alert(page.text) is None  # and nobody is told off before answering anything


async def test_a_plan_with_a_question_left_open_names_that_question(api: InProcessApi) -> None:
    for lang in ("zh", "en"):
        async with api.client({"Cookie": f"onething_lang={lang}"}) as client:
            # What the form sends with the defaults ticked and the hukou question left open.
            page = await client.get("/things/newborn?born_in_city=yes&wants_social_security_card=yes")
        assert page.status_code == 200, page.text
        said = alert(page.text)
        assert said is not None, lang
        assert OPEN_QUESTION[lang] in said, (lang, said)
        assert ANSWER_FIRST[lang] in said, (lang, said)


class _FixedClock:
    def __init__(self, instant: datetime) -> None:
        self.instant = instant

    def now(self) -> datetime:
        return self.instant


FRIDAY = datetime(2026, 11, 20, 10, 0, tzinfo=TZ)
ANSWERED = "/things/newborn?born_in_city=yes&hukou_location=this_district&wants_social_security_card=yes"


async def test_days_before_and_now_are_both_calendar_days(api: InProcessApi) -> None:
    """The baseline's 100 days are calendar days; the promise of 14 working days, applied for on Friday 20 November
    2026, ends on Thursday 10 December: 20 calendar days (the seed's published "20 days"), not "14"."""
    api.app.dependency_overrides[get_clock] = lambda: _FixedClock(FRIDAY)
    try:
        async with api.client({"Cookie": "onething_lang=zh"}) as client:
            page = await client.get(ANSWERED)
            open_page = await client.get("/things/newborn")
    finally:
        del api.app.dependency_overrides[get_clock]
    assert page.status_code == 200, page.text
    assert re.search(r'id="promised-total">[^<]*14 个工作日', page.text)  # the promise itself stays in working days
    assert re.search(r'data-figure="days">100 → 20<', page.text)
    assert "天数均为自然日" in page.text
    assert re.search(r'data-figure="days">100 → —<', open_page.text)  # unanswered: no figure yet, no mixed unit
    # and the note points at the questions where they are: after the before/after box
    assert "回答下面的问题后显示现在的天数" in open_page.text
    assert open_page.text.index('id="days-note"') < open_page.text.index('id="qs"')
