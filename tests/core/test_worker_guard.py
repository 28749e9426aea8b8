"""What a worker announces and which pollers keep it from starting (core/worker_guard.py); the waiting itself is
tested on the real dev server (tests/e2e/test_worker_format_guard.py)."""

from __future__ import annotations

from datetime import UTC, datetime

from core.worker_guard import Poller, announced_format, describe, other_formats, worker_identity


def _poller(identity: str) -> Poller:
    return Poller(identity, announced_format(identity), datetime(2026, 12, 7, 1, 2, 3, tzinfo=UTC), ("workflow",))


def test_a_worker_announces_its_format_after_the_sdk_identity() -> None:
    identity = worker_identity("1@3f2c9a1b7e44", 2)
    assert identity == "1@3f2c9a1b7e44 onething-projection/2"  # pid@host stays first: the UI lists it as before
    assert announced_format(identity) == 2
    assert announced_format("1@3f2c9a1b7e44") is None  # the releases before the announcement
    assert announced_format(worker_identity("7@host", 12)) == 12


def test_only_workers_of_the_same_format_start_side_by_side() -> None:
    same, older, none, newer = (
        _poller(identity)
        for identity in ("1@a onething-projection/2", "2@b onething-projection/1", "3@c", "4@d onething-projection/3")
    )
    assert other_formats([same], 2) == []
    assert other_formats([same, older, none, newer], 2) == [older, none, newer]


def test_the_list_names_each_poller_its_format_and_its_last_poll() -> None:
    said = describe([_poller("3@c"), _poller("2@b onething-projection/1")], 2)
    assert said.splitlines() == [
        "this worker writes projection format 2; other formats poll:",
        "  3@c: announces no format (a release before the guard), last polled 2026-12-07 01:02:03 UTC (workflow)",
        "  2@b onething-projection/1: format 1, last polled 2026-12-07 01:02:03 UTC (workflow)",
    ]
