"""The bounds every value crossing an edge is held to: days, row ids and free text.

One place, so that a query parameter, a form field and a JSON body refuse the same values with the same words
(a value out of these bounds is a 422 naming the field, never a 500 from the arithmetic or the database
behind it).
"""

from __future__ import annotations

import unicodedata
from datetime import date, datetime
from typing import Annotated

from pydantic import AfterValidator, Field

FIRST_DAY = date(2000, 1, 1)
"""No case, licence or figure predates the service: a day before this is a typing error."""
LAST_DAY = date(2099, 12, 31)
"""Far enough for any promise or report; well inside what datetime arithmetic (±1 day, time zones) can hold."""
INT64_MAX = 2**63 - 1
"""The largest row id the databases store (SQLite INTEGER, PostgreSQL BIGINT)."""

# Line breaks and tabs belong in a note or a reason; nowhere else is a control character meaningful. The
# bidirectional overrides (U+202A-U+202E, U+2066-U+2069) are format characters that can make a name shown to
# staff read differently from what was stored, so they go too.
_BIDI = frozenset(chr(code) for code in (*range(0x202A, 0x202F), *range(0x2066, 0x206A)))
_MULTILINE = frozenset("\n\r\t")


def _refused(value: str, allowed: frozenset[str]) -> str | None:
    return next(
        (char for char in value if char not in allowed and (unicodedata.category(char) == "Cc" or char in _BIDI)),
        None,
    )


def single_line(value: str) -> str:
    """A name, a code, a number: no control character at all (NUL, line breaks, escapes, bidi overrides)."""
    if (char := _refused(value, frozenset())) is not None:
        raise ValueError(f"contains the control character U+{ord(char):04X}; remove it")
    return value


def multi_line(value: str) -> str:
    """A note or a reason: line breaks and tabs allowed, other control characters not."""
    if (char := _refused(value, _MULTILINE)) is not None:
        raise ValueError(f"contains the control character U+{ord(char):04X}; remove it")
    return value


SingleLine = Annotated[str, AfterValidator(single_line)]
"""Give its length where it is used: `name: SingleLine = Field(max_length=100)`."""
MultiLine = Annotated[str, AfterValidator(multi_line)]


Day = Annotated[date, Field(ge=FIRST_DAY, le=LAST_DAY)]
RowId = Annotated[int, Field(ge=1, le=INT64_MAX)]
Code = Annotated[str, Field(min_length=1, max_length=64), AfterValidator(single_line)]
"""A code of the catalogue (one-thing, item, question, field, material) or of the department registry."""
ShortLine = Annotated[str, Field(max_length=200), AfterValidator(single_line)]
"""A short value: a guidance answer's option, a licence number a clerk types."""
Answers = Annotated[dict[Code, ShortLine | Annotated[list[ShortLine], Field(max_length=50)]], Field(max_length=100)]
"""Guidance answers: question code -> option, or a list of options for a multi-select question."""


def _within_days(value: datetime) -> datetime:
    if not FIRST_DAY <= value.date() <= LAST_DAY:
        raise ValueError(f"must be between {FIRST_DAY} and {LAST_DAY}")
    return value


Instant = Annotated[datetime, AfterValidator(_within_days)]
"""A moment a client gives (a validity period): far enough from the ends of datetime for any arithmetic."""
