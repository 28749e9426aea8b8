"""The department registry a running worker serves: its file, read again when it changes, without a restart.

Looked at on use, at most once a `check_every` (a second), by a hash of the file's bytes: the same choice as
the live catalogue (one_things/live.py says why rather than a file watch). A file that turns invalid is
refused as a whole: the last good registry stays served and the errors are logged with `file:line` until the
file changes again, so a typo while connecting a department never disconnects the others."""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path

from core.settings import Settings
from one_things.department_registry import Registry, parse_registry, registry_file
from one_things.problems import CatalogError, DefinitionError

log = logging.getLogger("onething.departments")

CHECK_EVERY_SECONDS = 1.0


def _fingerprint(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return "unreadable"  # parsing it says why


class LiveRegistry:
    """The newest valid registry of a file. Read it through `current()` once per call to a department, so one
    call sees one registry. Safe to share between threads: one looks at the file, the others go on."""

    def __init__(
        self,
        path: Path,
        *,
        prepare: Callable[[Registry], Registry] = lambda registry: registry,
        check_every: float = CHECK_EVERY_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._path = path
        self._prepare = prepare
        self._check_every = check_every
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._fingerprint = _fingerprint(path)
        registry, errors = parse_registry(path)
        if registry is None:
            raise CatalogError(errors)  # at start there is no good registry to keep serving
        self._registry = prepare(registry)
        self._errors: tuple[DefinitionError, ...] = ()
        self._looked_at = monotonic()

    @property
    def errors(self) -> tuple[DefinitionError, ...]:
        """Why the file as it is now is not served; empty when it is."""
        return self._errors

    def current(self) -> Registry:
        if self._monotonic() - self._looked_at < self._check_every or not self._lock.acquire(blocking=False):
            return self._registry
        try:
            self._looked_at = self._monotonic()
            fingerprint = _fingerprint(self._path)
            if fingerprint != self._fingerprint:
                self._fingerprint = fingerprint
                self._reload()
            return self._registry
        finally:
            self._lock.release()

    def _reload(self) -> None:
        registry, errors = parse_registry(self._path)
        if registry is None:
            self._errors = tuple(errors)
            for error in errors:
                log.error("department registry not reloaded, the last good one stays in use: %s", error)
            return
        self._registry, self._errors = self._prepare(registry), ()
        log.info("department registry reloaded: %d departments", len(registry.departments))


def live_registry(settings: Settings) -> LiveRegistry:
    """The registry of these settings, read again whenever its file changes (a worker's: no restart needed)."""

    def fill(registry: Registry) -> Registry:
        return registry.with_stubs_url(settings.departments_url, str(settings.exchange_dir))

    return LiveRegistry(registry_file(settings), prepare=fill)
