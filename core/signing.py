"""HMAC signatures of department callbacks: a timestamped body signed with a per-department key."""

from __future__ import annotations

import hashlib
import hmac
import time

TIMESTAMP_HEADER = "X-Onething-Timestamp"
SIGNATURE_HEADER = "X-Onething-Signature"
KEY_ID_HEADER = "X-Onething-Key-Id"
"""Which of the department's keys signed (contract v1): during a rotation two keys verify, each by its id."""
DERIVED_KEY_ID = "derived"
"""The id of the key `department_key` derives from the master secret (the only key before keys are issued)."""
MAX_SKEW_SECONDS = 300
"""A callback older or newer than this is refused, so a captured one cannot be replayed later."""


def department_key(secret: str, department: str) -> bytes:
    """Each department gets its own key, derived so one leaked key does not expose the others."""
    return hmac.new(secret.encode(), f"department:{department}".encode(), hashlib.sha256).digest()


def sign(key: bytes, timestamp: int, body: bytes) -> str:
    mac = hmac.new(key, str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={mac}"


def signed_headers(key: bytes, body: bytes, now: float | None = None, key_id: str = DERIVED_KEY_ID) -> dict[str, str]:
    timestamp = int(time.time() if now is None else now)
    return {TIMESTAMP_HEADER: str(timestamp), SIGNATURE_HEADER: sign(key, timestamp, body), KEY_ID_HEADER: key_id}


def verify(key: bytes, timestamp: str, signature: str, body: bytes, now: float | None = None) -> str | None:
    """None when the signature is good; otherwise why it was refused (safe to show the caller)."""
    try:
        stamp = int(timestamp)
    except ValueError:
        return f"{TIMESTAMP_HEADER} must be Unix seconds"
    current = time.time() if now is None else now
    if abs(current - stamp) > MAX_SKEW_SECONDS:
        return f"{TIMESTAMP_HEADER} is more than {MAX_SKEW_SECONDS} seconds from the server clock"
    if not hmac.compare_digest(sign(key, stamp, body), signature):
        return f"{SIGNATURE_HEADER} does not match the body"
    return None
