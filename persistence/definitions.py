"""The definition snapshots cases were accepted under: one row per (code, version), never rewritten.

The workflow runs on the snapshot in its input; pages and the API read the same snapshot from here, so a
case keeps showing (and being decided on) its own version after the catalogue files moved on.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import JSON, Column
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Field, Session, SQLModel, col, select

from one_things.schema import OneThing
from one_things.versions import definition_hash, definition_json, same_content
from persistence.tables import UTCDateTime


class DefinitionSnapshot(SQLModel, table=True):
    __tablename__ = "definition_snapshots"

    code: str = Field(primary_key=True, max_length=64)
    version: int = Field(primary_key=True)
    content: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    """The definition's JSON, as the workflow got it."""
    content_hash: str = Field(max_length=64)
    """SHA-256 of the canonical JSON (one_things.versions.definition_hash)."""
    first_accepted_at: datetime = Field(sa_type=UTCDateTime)


class DefinitionConflictError(ValueError):
    """A definition arrived with the (code, version) of a stored snapshot but another content."""


_STORED: WeakKeyDictionary[Engine | Connection, dict[tuple[str, int], OneThing]] = WeakKeyDictionary()
"""Per database (engine), the definition objects (the catalogue's, by identity: frozen, one per load) found stored
with their own content by a committed transaction. Each application records its definition: without this, every
one dumped and hashed the whole definition twice and parsed the stored one back (~2 % of the API's CPU per bundle,
docs/benchmarks.md "The API's CPU per bundle"); a snapshot is never rewritten nor deleted, so once is enough."""


def record_definition(session: Session, *, thing: OneThing, accepted_at: datetime) -> None:
    """Keep the snapshot a case is accepted under; a repeat of the same content is a no-op.

    Insert-or-ignore, so two first cases of a new version accepted at once both succeed (SQLite and
    PostgreSQL both know ON CONFLICT DO NOTHING). Raises DefinitionConflictError if the stored snapshot
    says something else: the catalogue check at startup refuses that, so only a deployment running two
    different files under one version gets here, and then no case may start on either.
    """
    bind = session.get_bind()
    stored_here = _STORED.setdefault(bind, {})
    if stored_here.get((thing.code, thing.version)) is thing:
        return  # this very definition was found stored, and committed, with the same content: rows never change
    values = {
        "code": thing.code,
        "version": thing.version,
        "content": definition_json(thing),
        "content_hash": definition_hash(thing),
        "first_accepted_at": accepted_at,
    }
    dialect = postgresql if bind.dialect.name == "postgresql" else sqlite
    # RETURNING, not the rowcount, says whether this transaction inserted: psycopg reports -1 for this statement.
    insert = dialect.insert(DefinitionSnapshot).values(**values).on_conflict_do_nothing()
    inserted = session.execute(insert.returning(col(DefinitionSnapshot.code))).first() is not None
    stored = get_definition(session, code=thing.code, version=thing.version)
    if stored is not None and not same_content(stored, thing):
        raise DefinitionConflictError(
            f"one-thing {thing.code!r} version {thing.version} is stored with another content; "
            "bump the version in the definition file and deploy it everywhere"
        )
    if not inserted and stored is not None:
        # Stored by an earlier, committed transaction (a row this one inserted could still be rolled back).
        stored_here[(thing.code, thing.version)] = thing


def get_definition(session: Session, *, code: str, version: int) -> OneThing | None:
    row = session.get(DefinitionSnapshot, (code, version))
    return OneThing.model_validate(row.content) if row is not None else None


def stored_versions(session: Session) -> list[tuple[str, int]]:
    """(code, version) of every stored snapshot, newest version of each code first."""
    query = select(DefinitionSnapshot.code, DefinitionSnapshot.version).order_by(
        col(DefinitionSnapshot.code), col(DefinitionSnapshot.version).desc()
    )
    return [(code, version) for code, version in session.exec(query)]


class StoredVersions:
    """The snapshots as a catalogue's `earlier` versions, read on demand.

    A snapshot never changes once stored, so each is parsed once per process; a version not found is
    asked again next time, since another API process may store it in the meantime.
    """

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._parsed: dict[tuple[str, int], OneThing] = {}

    def get(self, code: str, version: int) -> OneThing | None:
        found = self._parsed.get((code, version))
        if found is None:
            with Session(self._engine) as session:
                found = get_definition(session, code=code, version=version)
            if found is not None:
                self._parsed[(code, version)] = found
        return found

    def all(self) -> list[OneThing]:
        with Session(self._engine) as session:
            keys = stored_versions(session)
        return [thing for code, version in keys if (thing := self.get(code, version)) is not None]
