"""Masking shows enough to recognise a value and never the whole of it, whatever the input."""

from __future__ import annotations

import pytest

from core.privacy import mask_id_no, mask_name, mask_number, mask_phone


def test_common_forms() -> None:
    assert mask_id_no("31010419920307002X") == "310104********002X"
    assert mask_phone("13800138000") == "138****8000"
    assert mask_name("李梅") == "李*"
    assert mask_name("欧阳娜娜") == "欧***"
    assert mask_number("J310104-2019-000123") == "*" * 15 + "0123"


@pytest.mark.parametrize("mask", [mask_id_no, mask_phone, mask_number, mask_name])
@pytest.mark.parametrize("value", ["1", "12", "1234", "12345678", "310104199203"])
def test_short_or_odd_values_are_never_shown_whole(mask, value: str) -> None:
    masked = mask(value)
    assert len(masked) == len(value)
    assert masked != value
    assert mask("") == ""
