"""`onething things diff OLD NEW` and the deployed-version check of `things validate`.

OLD and NEW are what a department author has at hand: a definition file (their edited copy), a code (the
catalogue's current file for it), or `code@version` (the snapshot cases were accepted under, from the
platform's database).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated

import typer

from core.settings import get_settings
from one_things.catalog import Catalog, FileResult, catalog_folder, load_catalog
from one_things.diff import changes, diff_lines
from one_things.loader import load_definition
from one_things.problems import CatalogError, DefinitionError
from one_things.schema import OneThing
from one_things.versions import EarlierVersions, changed_without_new_version

_STORED = re.compile(r"^(?P<code>[a-z][a-z0-9_]*)@(?P<version>[1-9][0-9]*)$")
_CODE = re.compile(r"^[a-z][a-z0-9_]*$")


class _UnresolvedError(Exception):
    """An argument that names no definition; the message says what was tried and what to give."""


def diff_command(
    old: Annotated[str, typer.Argument(help="A definition file, a code (the catalogue's file) or code@version")],
    new: Annotated[str, typer.Argument(help="The same kinds: usually your edited file")],
) -> None:
    """Show what changed between two definitions and its effect on promised days and the baseline.

    Exit code 0 when they mean the same, 1 when they differ, 2 when one cannot be read (like `diff`).
    """
    try:
        before, after = _resolve(old), _resolve(new)
    except _UnresolvedError as problem:
        typer.echo(str(problem), err=True)
        raise typer.Exit(2) from None
    typer.echo("\n".join(diff_lines(before, after)))
    if changes(before, after):
        raise typer.Exit(1)


def _resolve(argument: str) -> OneThing:
    path = Path(argument)
    if path.suffix in (".yaml", ".yml") or path.exists():
        try:
            return load_definition(path)
        except CatalogError as error:
            raise _UnresolvedError("\n".join(str(e) for e in error.errors)) from None
    if stored := _STORED.match(argument):
        return _stored(stored["code"], int(stored["version"]))
    if _CODE.match(argument):
        catalog = _catalog()
        if argument in catalog:
            return catalog.get(argument)
        raise _UnresolvedError(f"{argument}: no such one-thing in the catalogue; known: {', '.join(catalog.codes())}")
    raise _UnresolvedError(f"{argument}: give a definition file (*.yaml), a one-thing code, or code@version")


def _catalog() -> Catalog:
    try:
        return load_catalog(catalog_folder())
    except CatalogError as error:
        raise _UnresolvedError(f"{error}\nrun `onething things validate` for details") from None


def _stored(code: str, version: int) -> OneThing:
    catalog = _catalog()
    if code in catalog and catalog.get(code).version == version:
        return catalog.get(code)
    snapshots = deployed_versions()
    found = snapshots.get(code, version) if snapshots is not None else None
    if found is None:
        raise _UnresolvedError(
            f"{code}@{version}: no case was accepted on that version in this platform's database "
            "(ONETHING_DATABASE_URL); compare two files instead"
        )
    return found


def deployed_versions() -> EarlierVersions | None:
    """The platform's stored snapshots, if this machine has its database; None (nothing to check) if not.

    Never creates a database: validating a file on a laptop without the platform must just work.
    """
    from sqlalchemy import inspect

    from core.database import create_sql_engine
    from persistence.definitions import DefinitionSnapshot, StoredVersions

    url = get_settings().projection_url
    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).is_file():
        return None
    engine = create_sql_engine(url)
    if not inspect(engine).has_table(str(DefinitionSnapshot.__tablename__)):
        return None
    return StoredVersions(engine)


def deployed_version_errors(results: list[FileResult]) -> list[DefinitionError]:
    """For `things validate`: files whose version cases were accepted under, with another content."""
    snapshots = deployed_versions()
    if snapshots is None:
        return []
    return changed_without_new_version([(r.path, r.thing) for r in results if r.thing is not None], snapshots)
