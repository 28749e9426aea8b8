"""Callback keys: issued once and sealed, rotated with an overlap in which both verify, then only the new."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.engine import Engine

from core.settings import Settings
from core.signing import DERIVED_KEY_ID, department_key, key_bytes
from persistence.db import session_scope
from persistence.department_keys import DepartmentKey
from services.department_keys import issue_key, list_keys, rotate_key, verifying_key
from services.errors import ConflictError

NOW = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
OTHER_SEALING_KEY = "b3RoZXItc2VhbGluZy1rZXktb2YtMzItYnl0ZXMhISE="


def test_a_key_is_issued_once_shown_once_and_stored_sealed(engine: Engine, settings: Settings) -> None:
    with session_scope(engine) as session:
        issued = issue_key(session, settings, department="keys_a", now=NOW)
    with session_scope(engine) as session:
        stored = session.get(DepartmentKey, issued.key_id)
        assert stored is not None
        assert issued.key not in stored.sealed  # never in clear at rest
        assert verifying_key(session, settings, department="keys_a", key_id=issued.key_id, now=NOW) == (
            key_bytes(issued.key)
        )
        # Another department cannot use it, nor can a platform holding another sealing key read it.
        assert verifying_key(session, settings, department="keys_b", key_id=issued.key_id, now=NOW) is None
        wrong = settings.model_copy(update={"callback_keys_key": OTHER_SEALING_KEY})
        assert verifying_key(session, wrong, department="keys_a", key_id=issued.key_id, now=NOW) is None
        with pytest.raises(ConflictError, match="keys rotate keys_a"):
            issue_key(session, settings, department="keys_a", now=NOW)


def test_rotation_lets_both_keys_verify_during_the_overlap_then_only_the_new(
    engine: Engine, settings: Settings
) -> None:
    with session_scope(engine) as session:
        old = issue_key(session, settings, department="keys_r", now=NOW)
    with session_scope(engine) as session:
        new = rotate_key(session, settings, department="keys_r", now=NOW, overlap=timedelta(hours=24))
    assert new.others_expire_at == NOW + timedelta(hours=24)
    during, after = NOW + timedelta(hours=23), NOW + timedelta(hours=24)
    with session_scope(engine) as session:
        for key in (old, new):
            assert verifying_key(session, settings, department="keys_r", key_id=key.key_id, now=during) is not None
        assert verifying_key(session, settings, department="keys_r", key_id=old.key_id, now=after) is None
        assert verifying_key(session, settings, department="keys_r", key_id=new.key_id, now=after) is not None
        states = {key.key_id: key.state(during) for key in list_keys(session, department="keys_r")}
    assert states == {old.key_id: "overlap", new.key_id: "current"}


def test_the_demo_key_verifies_outside_production_only(engine: Engine, settings: Settings) -> None:
    production = settings.model_construct(**{**settings.model_dump(), "environment": "production"})
    with session_scope(engine) as session:
        demo = verifying_key(session, settings, department="health", key_id=DERIVED_KEY_ID, now=NOW)
        assert demo == department_key(settings.secret_key, "health")
        assert verifying_key(session, production, department="health", key_id=DERIVED_KEY_ID, now=NOW) is None
        assert verifying_key(session, settings, department="health", key_id="", now=NOW) is None
