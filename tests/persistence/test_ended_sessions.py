"""Ending an account's sessions (services/ended_sessions.py over persistence/ended_sessions.py): what a person who
signs out, and an operator who ends an account's sessions, rely on. Two `EndedSessions` on two engines stand for
two API processes; on SQLite and, when given, PostgreSQL (tests/support/db.py)."""

from __future__ import annotations

import time
from pathlib import Path

from services.ended_sessions import EndedSessions
from tests.support.db import migrated_engine


def test_sessions_issued_until_the_end_are_refused_and_later_ones_accepted(tmp_path: Path) -> None:
    engine = migrated_engine(tmp_path)
    try:
        sessions = EndedSessions(engine, ttl=0)
        issued = time.time()
        assert not sessions.ended_here("clerk-1", issued)  # never ended
        sessions.end("clerk-1")
        assert sessions.ended_here("clerk-1", issued)
        assert not sessions.ended_here("clerk-1", time.time() + 0.01)  # signed in again afterwards
        assert not sessions.ended_here("clerk-2", issued)  # another account's are not touched
        sessions.end("clerk-1", at=issued - 3600)  # an older moment does not bring earlier sessions back
        assert sessions.ended_here("clerk-1", issued)
    finally:
        engine.dispose()


def test_another_process_refuses_within_its_ttl(tmp_path: Path) -> None:
    engines = [migrated_engine(tmp_path), migrated_engine(tmp_path)]
    try:
        signing_out, trusting, checking = (
            EndedSessions(engines[0], ttl=0),
            EndedSessions(engines[1], ttl=60),
            EndedSessions(engines[1], ttl=0),
        )
        issued = time.time()
        assert not trusting.ended_here("citizen-1", issued)  # read, and remembered for a minute
        signing_out.end("citizen-1")
        assert signing_out.ended_here("citizen-1", issued)  # the process that served the sign-out: at once
        assert checking.ended_here("citizen-1", issued)  # another process reading afresh: at once
        assert not trusting.ended_here("citizen-1", issued)  # one trusting its last read: until its ttl ends
    finally:
        for engine in engines:
            engine.dispose()


async def test_the_async_check_reads_the_same(tmp_path: Path) -> None:
    engine = migrated_engine(tmp_path)
    try:
        sessions = EndedSessions(engine, ttl=0)
        issued = time.time()
        sessions.end("staff-1")
        assert await sessions.ended("staff-1", issued)
        assert not await sessions.ended("staff-1", time.time() + 0.01)
    finally:
        engine.dispose()


def test_an_error_page_on_the_event_loop_uses_only_what_the_process_remembers(tmp_path: Path) -> None:
    """api/pages error handlers run on the event loop: no SQL there; an account not read lately counts as ended."""
    engine = migrated_engine(tmp_path)
    try:
        sessions = EndedSessions(engine, ttl=60)
        issued = time.time()
        assert sessions.ended_if_known("citizen-3", issued)  # never read by this process: shown signed out
        assert not sessions.ended_here("citizen-3", issued)  # read (a page's dependency, in the thread pool)
        assert not sessions.ended_if_known("citizen-3", issued)  # now remembered as not ended
        sessions.end("citizen-3")
        assert sessions.ended_if_known("citizen-3", issued)
    finally:
        engine.dispose()


def test_a_read_that_began_before_a_sign_out_does_not_bring_the_session_back(tmp_path: Path) -> None:
    engine = migrated_engine(tmp_path)
    try:
        sessions = EndedSessions(engine, ttl=60)
        issued = time.time()
        sessions.end("citizen-4")
        sessions._remember("citizen-4", None)  # what a read begun before the sign-out committed would store
        assert sessions.ended_here("citizen-4", issued)
    finally:
        engine.dispose()
