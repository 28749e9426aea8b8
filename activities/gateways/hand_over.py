"""The data pipeline's hand-over (seed 004 §5.4): staged submissions leave in signed batches, each exactly
once, however many workers flush the same exchange folder at the same time.

A submission waits as `platform/staging/<name>.json`. A flush
1. claims staged files by renaming each into a claim folder of its own, `platform/claims/<ms>-<hex>/`: a
   rename is atomic on one filesystem, so exactly one flush gets each file (FileNotFoundError: another did);
2. writes the batch into its claim folder (signature, then body, each whole), then removes the files it
   claimed;
3. hands the batch over by renaming it into `outbox/` (signature first).

Every step after the claim names a path inside the claim folder and none creates that folder again, so a
flush whose folder was taken from it fails at its next step and hands nothing over. A claim folder older than
ABANDONED_SECONDS (its flush died: killed, or the disk failed) is taken that way by a later flush, with one
rename of the folder (again exactly one taker), which finishes what it holds:
- a batch body: it was written whole but not handed over; hand it over. The claimed files were removed only
  once the body was whole, so the body holds every one of them.
- no body: the batch was either never written (re-stage the claimed files left) or handed over already (its
  claimed files were removed before the body left, so none are left to re-stage).
That is safe because of the ownership, not because of the age: a flush that was only slow, not dead, loses its
folder and sends nothing, so a wrong guess costs a delay, never a second hand-over. The age only keeps flushes
from taking folders from live ones in the normal course of things.

Hand-written rather than a file-lock library: locks on a share (NFS, SMB) are unreliable, and a lock held by a
dead process needs the same recovery; renames on one filesystem are atomic everywhere.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import uuid
from pathlib import Path

from core.batch_files import SUFFIX, hand_over, write_atomically, write_batch

log = logging.getLogger("onething.departments.batch")

ABANDONED_SECONDS = 60.0
"""A claim folder this old belongs to a dead flush: a live one holds its folder for milliseconds."""


class HandOver:
    def __init__(self, exchange: Path, flush_seconds: float, department: str) -> None:
        self._platform = exchange / "platform"
        self._staging = self._platform / "staging"
        self._claims = self._platform / "claims"
        self._outbox = exchange / "outbox"
        self._flush_seconds = flush_seconds
        self._department = department

    def stage(self, name: str, data: bytes) -> None:
        """The submission waits under its name; the same name stages the same file again (a retry)."""
        write_atomically(self._staging / f"{name}.json", data)

    def flush(self, key_id: str, key: bytes, now: float) -> int:
        """One signed batch of everything staged, unless one went out less than flush_seconds ago; how many
        submissions this flush handed over."""
        self._finish_abandoned(now)
        staged = sorted(self._staging.glob("*.json")) if self._staging.is_dir() else []
        if not staged or not self._take_turn(now):
            return 0
        claim = self._claims / f"{int(now * 1000)}-{uuid.uuid4().hex[:8]}"
        claim.mkdir(parents=True)
        claimed = [claim / path.name for path in staged if _move(path, claim)]
        try:
            lines = [json.loads(path.read_bytes()) for path in claimed]
            if lines:
                name = f"batch-{int(now)}-{hashlib.sha256(os.urandom(8)).hexdigest()[:8]}"
                body = write_batch(claim, name, lines, key_id=key_id, key=key, now=now, make_folder=False)
                for path in claimed:
                    path.unlink()
                hand_over(body, self._outbox)
                log.info("batch %s for %s: %d submission(s)", name, self._department, len(lines))
        except FileNotFoundError:  # a later flush took this claim for a dead one's: it finishes the work
            log.warning("a batch of %s was finished by another flush", self._department)
            return 0
        shutil.rmtree(claim, ignore_errors=True)
        return len(lines)

    def _finish_abandoned(self, now: float) -> None:
        if not self._claims.is_dir():
            return
        for folder in sorted(self._claims.iterdir()):
            started = _started(folder.name)
            if started is None or now - started < ABANDONED_SECONDS:
                continue
            taken = self._claims / f"{int(now * 1000)}-{uuid.uuid4().hex[:8]}"
            try:
                os.rename(folder, taken)
            except FileNotFoundError:
                continue  # another flush is finishing it
            self._finish(taken)

    def _finish(self, claim: Path) -> None:
        try:
            bodies = [path for path in claim.iterdir() if path.name.endswith(SUFFIX) and not path.name.startswith(".")]
            if bodies:
                for body in bodies:
                    hand_over(body, self._outbox)
                log.warning("an abandoned batch of %s handed over", self._department)
            else:
                self._staging.mkdir(parents=True, exist_ok=True)
                restaged = [path for path in claim.glob("*.json") if _move(path, self._staging)]
                log.warning("%d abandoned submission(s) of %s staged again", len(restaged), self._department)
        except FileNotFoundError:
            return  # taken from us in turn (we were slow beyond ABANDONED_SECONDS): the taker finishes it
        shutil.rmtree(claim, ignore_errors=True)

    def _take_turn(self, now: float) -> bool:
        """At most one batch per flush_seconds over every worker. `platform/flushed/` holds one empty file named
        by the last turn's time (ms); a flush takes the turn by renaming that very file to its own time, which
        only one flush can do (a compare-and-set with no lost update: a name is never taken twice)."""
        if self._flush_seconds <= 0:
            return True
        folder = self._platform / "flushed"
        if not folder.is_dir():
            _create_with_first_turn(folder)
        marks = [path for path in folder.iterdir() if path.name.isdigit()]
        if not marks:  # emptied by hand
            (folder / "0").touch()
            marks = [folder / "0"]
        last = max(marks, key=lambda path: int(path.name))
        mine = int(now * 1000)
        if mine - int(last.name) < self._flush_seconds * 1000:
            return False
        try:
            os.rename(last, folder / str(mine))
        except FileNotFoundError:
            return False  # another flush took this turn
        return True


def _move(path: Path, folder: Path) -> bool:
    """Whether this flush moved the file (so holds it now)."""
    try:
        os.replace(path, folder / path.name)
    except FileNotFoundError:
        return False  # taken by another flush (or our folder was taken: the flush finds out at its next step)
    return True


def _started(name: str) -> float | None:
    milliseconds, _, _ = name.partition("-")
    return int(milliseconds) / 1000 if milliseconds.isdigit() else None


def _create_with_first_turn(folder: Path) -> None:
    """The turns' folder appears with its first mark in it (a rename), so two first flushes never both find it
    empty."""
    seed = folder.with_name(f".{folder.name}-{uuid.uuid4().hex}")
    seed.mkdir(parents=True)
    (seed / "0").touch()
    try:
        os.rename(seed, folder)
    except OSError:  # another flush created it first
        shutil.rmtree(seed, ignore_errors=True)
