"""Alembic's entry point for the projection: runs on the connection `persistence.migrate` hands over.

`target_metadata` is every table of the projection (persistence/db.py imports each table module), so
`onething db revision --autogenerate` sees a new table or column the moment its module defines it.
"""

from __future__ import annotations

import warnings
from typing import Any, Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlalchemy import Column, Index, String
from sqlalchemy.types import TypeDecorator
from sqlmodel import SQLModel

import persistence.db  # noqa: F401 - imports every table module, so the metadata is complete

_SKIPPED_EXPRESSION_INDEX = "Skipped unsupported reflection of expression-based index"


def include_object(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    # Indexes on expressions (the statistics' Shanghai-day indexes, persistence/days.py) compile differently
    # per database and SQLite cannot reflect them: they are written by hand in a revision, and
    # tests/persistence/test_migrations.py checks they exist. Autogenerate compares every other object.
    return not (type_ == "index" and isinstance(obj, Index) and _has_expression(obj))


def _has_expression(index: Index) -> bool:
    return any(not isinstance(expression, Column | str) for expression in index.expressions)


def render_item(type_: str, obj: Any, autogen_context: AutogenContext) -> str | Literal[False]:
    # Revisions name plain SQLAlchemy types, not our TypeDecorators or SQLModel's AutoString: a revision must
    # keep meaning the same schema when the application's types change later.
    if type_ != "type":
        return False
    plain = obj.impl if isinstance(obj, TypeDecorator) else obj
    if isinstance(plain, String) and type(plain) is not String:
        return f"sa.String(length={plain.length})" if plain.length else "sa.String()"
    return f"sa.{plain!r}" if plain is not obj else False


def run_migrations() -> None:
    connection = context.config.attributes.get("connection")
    if connection is None:
        raise RuntimeError("run migrations through `onething db`, which holds the upgrade lock")
    context.configure(
        connection=connection,
        target_metadata=SQLModel.metadata,
        include_object=include_object,
        render_item=render_item,
        # SQLite alters a table by copying it; batch mode writes revisions that work on both databases.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction(), warnings.catch_warnings():
        # SQLite's reflection warns about each expression index, which include_object leaves out anyway.
        warnings.filterwarnings("ignore", _SKIPPED_EXPRESSION_INDEX)
        warnings.filterwarnings("ignore", "autogenerate skipping metadata-specified expression-based index")
        context.run_migrations()


run_migrations()
