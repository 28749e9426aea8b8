"""The test run's two tiers, so a change can be checked in about a minute before the real stack runs.

- fast: one_things, core, services and routers in-process (fake case gateway), workflow logic with mocked
  activities on the one time-skipping server the whole run shares, department stubs in-process;
- stack: anything that starts real parts per test or module (the dev server, a worker with real activities,
  department stubs over HTTP, Chromium, the simulation).

A test is in the stack tier when it uses one of STACK_FIXTURES (directly or through other fixtures) or is
marked `e2e`; everything else is fast. `scripts/test` runs `-m "not stack"` then `-m stack`, which together
select every test: no filter can leave a test out.
"""

from __future__ import annotations

import pytest

STACK_FIXTURES = frozenset({"dev_env", "skipping_env", "catalog_stack", "quick_poll_env"})


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "stack: starts real parts (servers, worker, browser); the slow tier")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        if fixtures & STACK_FIXTURES or item.get_closest_marker("e2e") is not None:
            item.add_marker(pytest.mark.stack)
