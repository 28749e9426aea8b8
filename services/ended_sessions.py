"""Sessions ended before they expire: by signing out, or by an operator (`onething sessions end ACCOUNT`).

A session is one of our signed tokens (core/auth.py): valid until its `exp` wherever it is presented, because
checking it needs no database. Deleting the browser's cookie at sign-out ends nothing for a copy of the token
(a shared counter PC's history, a proxy's log, a stolen cookie), and an account removed at the identity provider
would keep its sessions for `ONETHING_SESSION_MINUTES`. So ending a session is stored (persistence/ended_sessions.py):
per account, the moment before which every session it was issued is refused, on every device.

Each API process remembers an account's moment for `ttl` seconds (setting `ONETHING_ENDED_SESSIONS_SECONDS`), so a
citizen following a case does not cost a query per read: a sign-out takes effect at once in the process that
served it and within `ttl` in the others.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict

from anyio import to_thread
from sqlalchemy.engine import Engine
from sqlmodel import Session

from persistence.db import session_scope
from persistence.ended_sessions import end_sessions, sessions_ended_at


class EndedSessions:
    def __init__(self, engine: Engine, *, ttl: float = 5.0, size: int = 4096) -> None:
        """`ttl`: how long this process trusts what it last read of an account (setting ended_sessions_seconds)."""
        self._engine = engine
        self._ttl = ttl
        self._size = size
        self._read: OrderedDict[str, tuple[float | None, float]] = OrderedDict()
        """Per account: the moment its sessions were ended (None: never), and when this process read it."""
        self._lock = threading.Lock()
        """Pages (thread pool), `ended`'s reads and `end` update the memory from several threads at once."""

    async def ended(self, subject: str, issued_at: float) -> bool:
        """Whether a session of `subject` issued at `issued_at` was ended; reads the database in the thread pool
        only when this process has not read the account within `ttl` (the event loop is never blocked)."""
        known = self._fresh(subject)
        ended_at = known[0] if known is not None else await to_thread.run_sync(self._load, subject)
        return ended_at is not None and issued_at <= ended_at

    def ended_here(self, subject: str, issued_at: float) -> bool:
        """`ended`, for a caller already off the event loop (a page's dependency in the thread pool)."""
        known = self._fresh(subject)
        ended_at = known[0] if known is not None else self._load(subject)
        return ended_at is not None and issued_at <= ended_at

    def ended_if_known(self, subject: str, issued_at: float) -> bool:
        """For a caller on the event loop that must not wait for the database (an error page's handler): only what
        this process remembers, and an account not read within `ttl` counts as ended (the page shows the person
        signed out rather than risk showing an ended session signed in)."""
        known = self._fresh(subject)
        return known is None or (known[0] is not None and issued_at <= known[0])

    def end(self, subject: str, at: float | None = None) -> None:
        """Ends every session of `subject` issued until now (or `at`); blocking SQL: call it off the event loop."""
        moment = time.time() if at is None else at
        with session_scope(self._engine) as session:
            end_sessions(session, subject=subject, at=moment)
        self._remember(subject, moment)

    def _fresh(self, subject: str) -> tuple[float | None] | None:
        found = self._read.get(subject)
        if found is None or time.monotonic() - found[1] > self._ttl:
            return None
        return (found[0],)

    def _load(self, subject: str) -> float | None:
        with Session(self._engine) as session:
            ended_at = sessions_ended_at(session, subject=subject)
        self._remember(subject, ended_at)
        return ended_at

    def _remember(self, subject: str, ended_at: float | None) -> None:
        with self._lock:
            # A read that began before a sign-out committed must not bring the sessions back: the later moment stays
            # (the database never moves one back either).
            previous = self._read.get(subject)
            if previous is not None and previous[0] is not None and (ended_at is None or ended_at < previous[0]):
                ended_at = previous[0]
            self._read[subject] = (ended_at, time.monotonic())
            self._read.move_to_end(subject)
            while len(self._read) > self._size:
                self._read.popitem(last=False)
