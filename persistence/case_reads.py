"""The status read's SQL: the columns of a case and its items that a citizen sees, as rows, not ORM objects.

A citizen following a case is the API's most frequent request. Reading the same two tables through the ORM
built and tracked seven objects per read (the case, five items, their identity map) for a view that only
copies their fields: about a quarter of a read's CPU (docs/benchmarks.md). Rows of the named columns, through a
plain connection, give the same values (the columns' types still convert them: aware datetimes, enums, JSON).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row, bindparam, select
from sqlalchemy.engine import Connection
from sqlmodel import col

from persistence.tables import CaseRecord, ItemRecord

CASE_COLUMNS: tuple[Any, ...] = (
    CaseRecord.case_no,
    CaseRecord.thing,
    CaseRecord.version,
    CaseRecord.owner,
    CaseRecord.acted_by,
    CaseRecord.status,
    CaseRecord.seq,
    CaseRecord.accepted_at,
    CaseRecord.finished_at,
    CaseRecord.reason,
)
ITEM_COLUMNS: tuple[Any, ...] = (
    ItemRecord.code,
    ItemRecord.department,
    ItemRecord.mode,
    ItemRecord.status,
    ItemRecord.holder,
    ItemRecord.started_at,
    ItemRecord.finished_at,
    ItemRecord.due_at,
    ItemRecord.statutory_due_at,
    ItemRecord.light,
    ItemRecord.breached_at,
    ItemRecord.round,
    ItemRecord.output,
    ItemRecord.reason,
)


# Built once: composing a statement (and its cache key) on every read cost as much as running it.
CASE_QUERY = select(*map(col, CASE_COLUMNS)).where(col(CaseRecord.case_no) == bindparam("case_no"))
ITEMS_QUERY = select(*map(col, ITEM_COLUMNS)).where(col(ItemRecord.case_no) == bindparam("case_no"))


def case_rows(connection: Connection, *, case_no: str) -> tuple[Row[Any], list[Row[Any]]] | None:
    """The case's row and its items' rows (attributes named as the tables' fields); None if there is no case."""
    case = connection.execute(CASE_QUERY, {"case_no": case_no}).first()
    if case is None:
        return None
    return case, list(connection.execute(ITEMS_QUERY, {"case_no": case_no}).all())
