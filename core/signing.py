"""HMAC signatures of department callbacks: a timestamped body signed with a per-department key.

`X-Onething-Signature: sha256=<hex HMAC-SHA256(key, "<timestamp>." + body)>`, `X-Onething-Timestamp` in Unix
seconds, and `X-Onething-Key-Id` naming which of the department's keys signed (two verify during a
rotation). A key is 32 random bytes issued as 64 hex characters by `onething departments keys issue`; the
platform keeps it sealed with Fernet (AES-128-CBC + HMAC-SHA256, `cryptography`) under ONETHING_CALLBACK_KEYS_KEY.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time

from cryptography.fernet import Fernet, InvalidToken

TIMESTAMP_HEADER = "X-Onething-Timestamp"
SIGNATURE_HEADER = "X-Onething-Signature"
KEY_ID_HEADER = "X-Onething-Key-Id"
"""Which of the department's keys signed (contract v1): during a rotation two keys verify, each by its id."""
DERIVED_KEY_ID = "derived"
"""The id of the key `department_key` derives from the master secret: accepted until the department's keys are
issued, and never in production (`services/department_keys.py`)."""
MAX_SKEW_SECONDS = 300
"""A callback older or newer than this is refused, so a captured one cannot be replayed later."""


def department_key(secret: str, department: str) -> bytes:
    """The demo stack's key of a department, derived from the platform's secret (key id `derived`).

    Development only: a real department gets an issued key (`new_key`), never one derived from our secret."""
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


def new_key() -> tuple[str, str]:
    """A fresh (key id, key): the id is public, the key (32 random bytes as 64 hex characters, as contract v1
    hands keys out) is shown once to the department and then sealed."""
    return f"dk_{secrets.token_hex(8)}", secrets.token_hex(32)


def key_bytes(key: str) -> bytes:
    """The HMAC key an issued key's 64 hex characters stand for (contract v1: decode them)."""
    return bytes.fromhex(key)


def seal(sealing_key: str, key: str) -> str:
    return Fernet(sealing_key.encode()).encrypt(key.encode()).decode()


def unseal(sealing_key: str, sealed: str) -> bytes | None:
    """The key as HMAC key bytes; None when it was sealed under another sealing key (a wrong setting)."""
    try:
        return key_bytes(Fernet(sealing_key.encode()).decrypt(sealed.encode()).decode())
    except (InvalidToken, ValueError):
        return None


def material_url_key(secret: str) -> bytes:
    """The key of the departments' material download URLs, apart from every other use of the secret."""
    return hmac.new(secret.encode(), b"material-download-url", hashlib.sha256).digest()


def material_signature(key: bytes, *, case_no: str, material: str, department: str, expires: int) -> str:
    """Binds a download URL to one case's material, the department it was given to, and its expiry."""
    message = f"{case_no}\n{material}\n{department}\n{expires}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def material_url_refusal(
    key: bytes, *, case_no: str, material: str, department: str, expires: int, signature: str, now: float
) -> str | None:
    """None when the URL is genuine and current; otherwise why not (safe to show the caller)."""
    expected = material_signature(key, case_no=case_no, material=material, department=department, expires=expires)
    # As bytes: compare_digest refuses (TypeError, a 500) a str with a non-ASCII character, and a caller chooses it.
    if not hmac.compare_digest(expected.encode(), signature.encode()):
        return "the download URL's signature does not match; use the URL exactly as it was sent in the submission"
    if now > expires:
        return "the download URL has expired (it is valid for ONETHING_MATERIAL_URL_HOURS after the submission)"
    return None
