"""Path and query parameters, each bounded once: a value outside is a 422 naming it, never a 500.

Routers declare `case_no: CaseNo` instead of `case_no: str`, so the OpenAPI document states every bound
(tests/routers/test_openapi_boundaries.py checks that each string parameter has one, and sends values beyond
them to every GET route).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Header, Path, Query

from core.bounds import FIRST_DAY, INT64_MAX, LAST_DAY, SingleLine

DAYS = f"between {FIRST_DAY} and {LAST_DAY}"
"""For the description of a day parameter (typed `core.bounds.Day`), as JSON Schema cannot state the bounds."""

CaseNo = Annotated[SingleLine, Path(max_length=40, description="A case number, e.g. 20261122-8NN33MT6")]
Code = Annotated[SingleLine, Path(max_length=64, description="A code of the catalogue or the department registry")]
OpaqueId = Annotated[SingleLine, Path(max_length=64, description="An id this API gave out")]
RowId = Annotated[int, Path(ge=1, le=INT64_MAX, description="A numeric id this API gave out")]

CodeFilter = Annotated[SingleLine | None, Query(max_length=64, description="Only this code")]
NextUrl = Annotated[str, Query(max_length=2048, description="Where to go afterwards: a path of this site")]
Offset = Annotated[int, Query(ge=0, le=1_000_000, description="How many rows to skip")]
IdempotencyKey = Annotated[
    SingleLine | None,
    Header(max_length=128, description="Your id for this request: sending it again returns the same case"),
]
