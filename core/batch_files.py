"""The data pipeline's files (seed 004 §5.4): signed JSON-lines batches in an exchange folder.

Both sides use this one format: the platform writes submissions to `<exchange>/outbox/`, the department
writes results to `<exchange>/inbox/`. A batch is `<name>.jsonl` (one JSON object a line, UTF-8) beside
`<name>.jsonl.sig`, a JSON object `{"key_id", "timestamp", "signature"}` whose signature is the callbacks'
scheme (core.signing.sign) over the `.jsonl` file's bytes. Each file appears whole: written under a
temporary name and renamed, the signature first, so a reader never sees half a batch or a batch unsigned.
Everything in a batch is idempotent by its `idempotency_key`: a line read twice changes nothing.
"""

from __future__ import annotations

import contextlib
import hmac
import json
import os
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from core.signing import sign

SUFFIX = ".jsonl"
SIGNATURE_SUFFIX = ".jsonl.sig"


class BatchFileError(Exception):
    """A batch that cannot be trusted or read; the message names the file and why (never its content)."""


def write_atomically(path: Path, data: bytes, *, make_folder: bool = True) -> None:
    """`path` appears whole or not at all. Without make_folder, a folder that is gone raises FileNotFoundError
    (a writer whose folder was taken from it must fail, not write into a new one)."""
    if make_folder:
        path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".tmp-{uuid.uuid4().hex}")
    temporary.write_bytes(data)
    os.replace(temporary, path)


def write_batch(
    folder: Path,
    name: str,
    lines: list[dict[str, Any]],
    *,
    key_id: str,
    key: bytes,
    now: float,
    make_folder: bool = True,
) -> Path:
    """`folder/name.jsonl` and its signature; returns the batch's path."""
    body = "".join(json.dumps(line, ensure_ascii=False, separators=(",", ":")) + "\n" for line in lines).encode()
    timestamp = int(now)
    signature = {"key_id": key_id, "timestamp": timestamp, "signature": sign(key, timestamp, body)}
    write_atomically(folder / f"{name}{SIGNATURE_SUFFIX}", json.dumps(signature).encode(), make_folder=make_folder)
    path = folder / f"{name}{SUFFIX}"
    write_atomically(path, body, make_folder=make_folder)
    return path


def hand_over(path: Path, folder: Path) -> None:
    """Move a batch written elsewhere into `folder`, its signature first, so a reader never finds it unsigned.
    FileNotFoundError if the batch is gone (its signature may have gone ahead: it is in `folder` already)."""
    folder.mkdir(parents=True, exist_ok=True)
    signature = path.with_name(path.name + ".sig")
    try:
        os.rename(signature, folder / signature.name)
    except FileNotFoundError:
        if not path.exists():
            raise
    os.rename(path, folder / path.name)


def batches(folder: Path) -> list[Path]:
    """The complete batches waiting in `folder`, oldest name first."""
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.name.endswith(SUFFIX) and not p.name.startswith("."))


def read_batch(path: Path, key_for: Callable[[str], bytes | None]) -> list[dict[str, Any]]:
    """The batch's lines, once its signature is checked with the key `key_for(key_id)` gives."""
    try:
        signature = json.loads(path.with_name(path.name + ".sig").read_text(encoding="utf-8"))
        body = path.read_bytes()
        key_id, timestamp, mac = str(signature["key_id"]), int(signature["timestamp"]), str(signature["signature"])
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise BatchFileError(f"{path.name}: no readable signature ({type(error).__name__})") from None
    key = key_for(key_id)
    if key is None:
        raise BatchFileError(f"{path.name}: signed with key {key_id}, which does not verify now")
    if not hmac.compare_digest(sign(key, timestamp, body), mac):
        raise BatchFileError(f"{path.name}: the signature does not match the file")
    try:
        lines = [json.loads(line) for line in body.decode().splitlines() if line.strip()]
    except (UnicodeDecodeError, ValueError):
        raise BatchFileError(f"{path.name}: not JSON lines") from None
    if not all(isinstance(line, dict) and isinstance(line.get("idempotency_key"), str) for line in lines):
        raise BatchFileError(f"{path.name}: every line must be an object with an idempotency_key")
    return lines


def set_aside(path: Path, folder: Path) -> bool:
    """Move a batch (and its signature) out of the way once taken, into `folder` (kept as the record); False
    when another reader of the folder set it aside first (both read it: each line is idempotent by key)."""
    folder.mkdir(parents=True, exist_ok=True)
    signature = path.with_name(path.name + ".sig")
    try:
        os.replace(path, folder / path.name)
    except FileNotFoundError:
        return False
    with contextlib.suppress(FileNotFoundError):  # a refused batch may have none
        os.replace(signature, folder / signature.name)
    return True
