"""The catalogue a running process serves: its folder's definitions, published without a restart.

The folder is looked at again on use, at most once a `check_every` (a second): a hash of the definition
files' names and bytes. Only when it changed is the folder parsed and validated again. Chosen over a file
watch (inotify through `watchfiles`) because it needs no background task to start, stop and keep alive in
both the API and the worker, and works where inotify does not (network file systems, container bind mounts,
Kubernetes ConfigMaps that swap a symlink). Bytes rather than sizes and modification times, because a
same-size rewrite within the file system's timestamp granularity (milliseconds) would go unseen, and reading
a few dozen small files a second costs nothing. The price of looking on use: a process nobody asks for a
definition sees a change only when next asked (the worker at its next licence reminder run), which is all
it needs.

A folder that turns invalid (a bad file dropped in, an edit that kept its version while cases were
accepted on it) is refused as a whole: the last good catalogue stays served, the errors are logged with
`file:line` and kept in `status()` for `GET /healthz`, until the folder changes again."""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from one_things.catalog import Catalog, catalog_files, load_catalog
from one_things.problems import CatalogError, DefinitionError
from one_things.registry_file import registry_path
from one_things.versions import EarlierVersions

log = logging.getLogger("onething.catalog")

CHECK_EVERY_SECONDS = 1.0


def _fingerprint(folder: Path) -> str:
    """Changes with any change to the content, name, number or readability of the definition files in `folder`
    and of the registry of licences and materials they are checked against."""
    digest = hashlib.sha256()
    try:
        files = [*catalog_files([folder]), registry_path(folder)]
    except OSError:
        return "unreadable folder"  # loading it says why
    for path in files:
        digest.update(path.name.encode() + b"\0")
        try:
            digest.update(hashlib.sha256(path.read_bytes()).digest())
        except OSError:  # gone since the listing, or no folder at all: loading it says so
            digest.update(b"unreadable")
    return digest.hexdigest()


@dataclass(frozen=True)
class CatalogStatus:
    folder: Path
    definitions: int
    """How many definitions are served now."""
    errors: tuple[DefinitionError, ...]
    """Why the folder as it is now is not served; empty when it is."""


class LiveCatalog:
    """The newest valid catalogue of a folder, for a process that runs while definitions are published.

    Read it through `current()`, once per request or activity run, so one piece of work sees one catalogue.
    Safe to share between threads: one thread looks at the folder while the others go on with what they have.
    """

    def __init__(
        self,
        folder: Path,
        *,
        earlier: EarlierVersions | None = None,
        check_every: float = CHECK_EVERY_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._folder = folder
        self._earlier = earlier
        self._check_every = check_every
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._seen = _fingerprint(folder)
        # No last good catalogue to fall back on yet: an invalid folder stops the process here (CatalogError).
        self._catalog = load_catalog(folder, earlier=earlier)
        self._errors: tuple[DefinitionError, ...] = ()
        self._next_look = monotonic() + check_every

    def due(self) -> bool:
        """Whether `current()` would look at the folder now (file I/O); if not, it only returns the catalogue."""
        return self._monotonic() >= self._next_look

    def current(self) -> Catalog:
        if self.due() and self._lock.acquire(blocking=False):
            try:
                self._look()
            finally:
                self._lock.release()
        return self._catalog

    def status(self) -> CatalogStatus:
        served = self.current()
        return CatalogStatus(self._folder, len(served), self._errors)

    def last_status(self) -> CatalogStatus:
        """What the last look found, without looking at the folder (no I/O: safe on an event loop)."""
        return CatalogStatus(self._folder, len(self._catalog), self._errors)

    def _look(self) -> None:
        self._next_look = self._monotonic() + self._check_every
        seen = _fingerprint(self._folder)
        if seen == self._seen:
            return
        try:
            fresh = load_catalog(self._folder, earlier=self._earlier)
        except CatalogError as error:
            self._seen = seen  # reported once; looked at again when the folder changes again
            self._errors = tuple(error.errors)
            log.error(
                "catalogue %s refused, still serving the last good one (%d definitions):\n%s",
                self._folder,
                len(self._catalog),
                "\n".join(str(e) for e in error.errors),
            )
            return
        except Exception:
            # The stored versions' database, say: not the folder's fault, so try again at the next look.
            log.exception("catalogue %s could not be checked; still serving the last good one", self._folder)
            return
        self._seen = seen
        log.info("catalogue %s published: %s", self._folder, _changes(self._catalog, fresh))
        self._catalog, self._errors = fresh, ()


def _changes(before: Catalog, after: Catalog) -> str:
    groups = {
        "new": [code for code in after.codes() if code not in before],
        "changed": [
            f"{code} v{before.get(code).version}→v{after.get(code).version}"
            for code in after.codes()
            if code in before and before.get(code) != after.get(code)
        ],
        "removed": [code for code in before.codes() if code not in after],
    }
    said = "; ".join(f"{label}: {', '.join(codes)}" for label, codes in groups.items() if codes)
    return f"{len(after)} definitions; {said or 'no change in meaning'}"
