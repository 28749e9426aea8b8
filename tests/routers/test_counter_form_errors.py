"""The counter's form sent with the photo and the typed fields missing names every problem at once, as the citizen's
own form does: the clerk corrects them in one pass instead of learning of the empty fields only after the scan."""

from __future__ import annotations

import re

from core.auth import Role
from tests.routers.test_counter import CLERK, POINT, _visit
from tests.routers.test_uploads import _browser, _posted
from tests.support.fake_gateway import FakeCaseGateway
from tests.support.inprocess import InProcessApi

ERRORS = re.compile(r'<div class="errors"[^>]*>(.*?)</div>', re.S)


async def test_missing_fields_and_a_missing_photo_are_named_together(
    api: InProcessApi, gateway: FakeCaseGateway
) -> None:
    async with api.as_user(Role.CLERK, CLERK, POINT) as clerk:
        visit = await _visit(api, clerk, "citizen-counter-all-errors")
    browser, csrf = _browser(api, Role.CLERK, CLERK, POINT)
    posted = {k: v for k, v in _posted(api, csrf).items() if k not in ("field.newborn_name", "field.birth_hospital")}
    async with browser:
        page = await browser.post(f"/counter/visits/{visit}/things/newborn", data=posted)
    assert page.status_code == 422, page.text
    found = ERRORS.search(page.text)
    assert found is not None, page.text[-2000:]
    listed = re.sub(r"<[^>]+>", " ", found.group(1))
    for problem in ("新生儿免冠照片(电子版)", "新生儿姓名", "出生医院"):
        assert problem in listed, (problem, listed)
    assert gateway.started == []
