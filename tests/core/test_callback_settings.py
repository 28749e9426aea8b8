"""The callback guards' settings are checked when the process starts, with the fix in the message."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from core.settings import Settings


def test_a_failure_limit_limits_cannot_read_is_refused_with_the_notation() -> None:
    assert Settings(callback_failure_limit="5/second").callback_failure_limit == "5/second"
    with pytest.raises(ValidationError, match="write it as COUNT/PERIOD"):
        Settings(callback_failure_limit="twenty a minute")


def test_the_body_cap_cannot_be_set_below_a_result() -> None:
    with pytest.raises(ValidationError, match="callback_max_bytes"):
        Settings(callback_max_bytes=10)
