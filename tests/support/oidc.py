"""Signing in the way a browser does: /signin → the provider's authorize page → its picker → our callback."""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import urlsplit

import httpx

HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


async def pick_account(provider: httpx.AsyncClient, authorize_url: str, subject: str) -> str:
    """At the demo provider: open the authorize page, pick `subject`; the callback URL it redirects to."""
    page = await provider.get(path_of(authorize_url))
    assert page.status_code == 200, page.text
    fields = {name: unescape(value) for name, value in HIDDEN.findall(page.text)}
    answer = await provider.post(path_of(authorize_url).split("?")[0], data={**fields, "subject": subject})
    assert answer.status_code == 303, answer.text
    return answer.headers["location"]


async def sign_in(
    browser: httpx.AsyncClient, subject: str, *, next_url: str = "/", official: bool = False,
    provider: httpx.AsyncClient | None = None,
) -> httpx.Response:  # fmt: skip
    """The whole flow; `browser` ends up holding the session cookie. Returns the callback's answer."""
    start = await browser.get("/signin/official" if official else "/signin", params={"next": next_url})
    assert start.status_code == 303, start.text
    callback = await pick_account(provider or browser, start.headers["location"], subject)
    return await browser.get(path_of(callback))
