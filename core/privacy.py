"""Masking personal data for display: pages and public answers show only what a person needs to recognise.

Every function accepts any string (also too short or already masked ones) and never raises, so a
page can call it on whatever it holds without leaking the value through an error.
"""

from __future__ import annotations

MASK = "*"


def _mask(value: str, *, head: int, tail: int) -> str:
    # At least 4 characters (a third of long values) stay hidden: a 6+4 window on a short or
    # mistyped value would otherwise show all of it.
    visible = max(0, len(value) - max(4, len(value) // 3))
    head = min(head, visible)
    tail = min(tail, visible - head)
    return value[:head] + MASK * (len(value) - head - tail) + (value[len(value) - tail :] if tail else "")


def mask_id_no(id_no: str) -> str:
    """A resident ID number with at most its first 6 (region) and last 4 characters shown."""
    value = id_no.strip()
    return _mask(value, head=6, tail=4) if value else ""


def mask_name(name: str) -> str:
    """The first character (the surname, for most Chinese names) and a star for each other one."""
    value = name.strip()
    if len(value) <= 1:
        return MASK * len(value)
    return value[0] + MASK * (len(value) - 1)


def mask_phone(phone: str) -> str:
    """A mobile number with its first 3 and last 4 digits shown, the usual 138****8000 form."""
    value = phone.strip()
    return _mask(value, head=3, tail=4) if value else ""


def mask_number(number: str) -> str:
    """A document number (licence, certificate) with only its last 4 characters shown."""
    value = number.strip()
    return _mask(value, head=0, tail=4) if value else ""
