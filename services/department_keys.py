"""The departments' callback keys: issued once, shown once, rotated with an overlap, looked up to verify.

A department signs its results with a key we issue (core.signing). The key is shown to the operator once,
at issue, and kept only sealed; rotating issues a new key and lets the old ones verify until the overlap
ends, so the department can switch without a refused callback. The signature's key id header picks the key.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session

from core.settings import Settings
from core.signing import DERIVED_KEY_ID, department_key, new_key, seal, unseal
from persistence.department_keys import add_key, expire_current, key_by_id, keys_of
from services.errors import ConflictError


@dataclass(frozen=True)
class IssuedKey:
    department: str
    key_id: str
    key: str
    """Shown once to the operator, who hands it to the department; never stored in clear."""
    others_expire_at: datetime | None
    """A rotation: when the department's earlier keys stop verifying."""


@dataclass(frozen=True)
class KeyView:
    key_id: str
    created_at: datetime
    expires_at: datetime | None

    def state(self, now: datetime) -> str:
        if self.expires_at is None:
            return "current"
        return "overlap" if self.expires_at > now else "expired"


def issue_key(session: Session, settings: Settings, *, department: str, now: datetime) -> IssuedKey:
    """The department's first key; refused when it has a current one (rotate instead, so none is lost)."""
    if any(key.expires_at is None for key in keys_of(session, department=department)):
        raise ConflictError(
            f"department {department} already has a current key; use `onething departments keys rotate {department}`"
        )
    return _new(session, settings, department=department, now=now, others_expire_at=None)


def rotate_key(
    session: Session, settings: Settings, *, department: str, now: datetime, overlap: timedelta
) -> IssuedKey:
    """A new key; the current ones keep verifying for `overlap`, then stop."""
    until = now + overlap
    expire_current(session, department=department, at=until)
    return _new(session, settings, department=department, now=now, others_expire_at=until)


def list_keys(session: Session, *, department: str) -> list[KeyView]:
    return [KeyView(k.key_id, k.created_at, k.expires_at) for k in keys_of(session, department=department)]


def verifying_key(session: Session, settings: Settings, *, department: str, key_id: str, now: datetime) -> bytes | None:
    """The key that must have signed a callback of `department` carrying `key_id`; None when no such key
    verifies now (unknown, another department's, expired, or sealed under another sealing key)."""
    if key_id == DERIVED_KEY_ID:
        # The demo stubs' derived keys: never in production, where every department holds an issued key.
        return None if settings.environment == "production" else department_key(settings.secret_key, department)
    key = key_by_id(session, department=department, key_id=key_id)
    if key is None or (key.expires_at is not None and key.expires_at <= now):
        return None
    return unseal(settings.callback_keys_key, key.sealed)


def _new(
    session: Session, settings: Settings, *, department: str, now: datetime, others_expire_at: datetime | None
) -> IssuedKey:
    key_id, key = new_key()
    add_key(session, key_id=key_id, department=department, sealed=seal(settings.callback_keys_key, key), created_at=now)
    return IssuedKey(department=department, key_id=key_id, key=key, others_expire_at=others_expire_at)


def signing_key(session: Session, settings: Settings, *, department: str) -> tuple[str, bytes] | None:
    """The key we sign what we send the department with (its batch files): its newest current key, or the
    demo key outside production; None when it has no key yet."""
    current = [key for key in keys_of(session, department=department) if key.expires_at is None]
    if current:
        unsealed = unseal(settings.callback_keys_key, current[0].sealed)
        return (current[0].key_id, unsealed) if unsealed is not None else None
    if settings.environment == "production":
        return None
    return DERIVED_KEY_ID, department_key(settings.secret_key, department)
