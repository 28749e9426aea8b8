"""Browser tests run in the SQLite pass only: what a page shows comes from queries that the router tests
(tests/routers, in-process, both passes) run on PostgreSQL too; Chromium adds nothing that differs by database,
and leaving it out keeps scripts/test within its time."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.db import sqlite_pass_only

PAGES = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    mark = sqlite_pass_only("a browser on pages whose queries tests/routers runs on both databases")
    for item in items:
        if item.path.is_relative_to(PAGES):
            item.add_marker(mark)
