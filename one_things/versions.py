"""Definition versions: the content a version stands for, and refusing an edit that kept its version.

A running case shows and decides on the definition version it was accepted under (the platform stores
that snapshot, persistence/definitions.py). That only holds if one (code, version) always means one
content: a file changed in meaning while its `version` stayed the same would silently rewrite what old
cases show. This module compares each file with the snapshot stored for its (code, version).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Protocol

from one_things.diff import changes
from one_things.loader import display_path
from one_things.problems import DefinitionError
from one_things.schema import OneThing


class EarlierVersions(Protocol):
    """Definition snapshots cases were accepted under, wherever they are stored."""

    def get(self, code: str, version: int) -> OneThing | None: ...

    def all(self) -> list[OneThing]: ...


def definition_json(thing: OneThing) -> dict[str, Any]:
    """The definition as the JSON the platform stores and the workflow runs on."""
    return thing.model_dump(mode="json")


def definition_hash(thing: OneThing) -> str:
    """SHA-256 of the definition's canonical JSON: the same meaning gives the same hash.

    YAML comments, key order and quoting do not count; a default written out explicitly does not either,
    because both sides are parsed into the same model first.
    """
    canonical = json.dumps(definition_json(thing), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def same_content(old: OneThing, new: OneThing) -> bool:
    """Compared through today's model, so a field added later (with its default) is not a change."""
    return definition_hash(old) == definition_hash(new)


def changed_without_new_version(
    files: Iterable[tuple[Path, OneThing]], earlier: EarlierVersions
) -> list[DefinitionError]:
    """An error for every file whose (code, version) was stored with a different content."""
    stored = earlier.all()
    errors: list[DefinitionError] = []
    for path, thing in files:
        before = earlier.get(thing.code, thing.version)
        if before is None or same_content(before, thing):
            continue
        found = [change.brief() for change in changes(before, thing)]
        shown = "; ".join(found[:3]) + ("; …" if len(found) > 3 else "")
        latest = max(t.version for t in stored if t.code == thing.code)
        message = (
            f"definition '{thing.code}' changed but its version is still {thing.version}, and cases were "
            f"accepted on version {thing.version} as it was ({shown or 'content differs'})"
        )
        fix = (
            f"bump version: set `version: {latest + 1}` so running cases keep version {thing.version} and new "
            f"cases use this one, or undo the change (see `onething things diff {thing.code}@{thing.version} "
            f"{display_path(path)}`)"
        )
        errors.append(DefinitionError(display_path(path), _version_line(path), "version", message, fix))
    return errors


def _version_line(path: Path) -> int | None:
    # The file parsed a moment ago, so a scan for the unindented key is enough.
    for number, text in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if re.match(r"version\s*:", text):
            return number
    return None
