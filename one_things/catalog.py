"""The catalogue: every `*.yaml` definition in a folder, validated together."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from core.settings import Settings, get_settings
from one_things.graph import critical_path_days, dependency_order, sequential_days
from one_things.loader import display_path, parse_file
from one_things.problems import CatalogError, DefinitionError
from one_things.registry import REGISTRY_FILE, Registry
from one_things.registry_file import read_registry, registry_path
from one_things.schema import OneThing
from one_things.versions import EarlierVersions, changed_without_new_version

__all__ = [
    "CATALOG_DIR",
    "Catalog",
    "CatalogError",
    "catalog_files",
    "catalog_folder",
    "check_files",
    "critical_path_days",
    "dependency_order",
    "load_catalog",
    "registry_for",
    "sequential_days",
]

CATALOG_DIR = Path(__file__).parent / "catalog"
"""The package's own definitions: what a process serves when ONETHING_CATALOG_DIR is not set."""


def catalog_folder(settings: Settings | None = None) -> Path:
    """The one folder every process and command reads definitions from: ONETHING_CATALOG_DIR, else the package's."""
    return (settings or get_settings()).catalog_dir or CATALOG_DIR


class Catalog:
    """Definitions by code: the current version of each, for new cases, and (through `earlier`) the versions
    running cases were accepted under. Resolve a definition here before starting or showing a case."""

    def __init__(
        self, things: Iterable[OneThing], *, earlier: EarlierVersions | None = None, registry: Registry | None = None
    ) -> None:
        self._things = {thing.code: thing for thing in things}
        self._earlier = earlier
        self.registry = registry or Registry("<no registry>")
        """The licence types and materials every definition refers to (their one name each)."""

    def get(self, code: str, version: int | None = None) -> OneThing:
        """The current definition with this code, or with `version` the one a case was accepted under.

        KeyError (naming the known codes) if there is none: an unknown code, or a version neither current
        nor stored (a case accepted before snapshots were kept, on a version since replaced).
        """
        current = self._things.get(code)
        if current is not None and version in (None, current.version):
            return current
        if version is not None and self._earlier is not None and (found := self._earlier.get(code, version)):
            return found
        if current is None:
            raise KeyError(f"unknown one-thing {code!r}; known: {', '.join(self.codes())}")
        raise KeyError(f"one-thing {code!r} has no stored version {version}; the current one is {current.version}")

    def all(self) -> list[OneThing]:
        """The current version of every definition."""
        return [self._things[code] for code in self.codes()]

    def every_version(self) -> list[OneThing]:
        """Current definitions first, then the earlier ones cases still refer to (for names of old items)."""
        current = self.all()
        seen = {(thing.code, thing.version) for thing in current}
        earlier = self._earlier.all() if self._earlier is not None else []
        return current + [thing for thing in earlier if (thing.code, thing.version) not in seen]

    def codes(self) -> list[str]:
        return sorted(self._things)

    def __contains__(self, code: object) -> bool:
        return code in self._things

    def __len__(self) -> int:
        return len(self._things)


def catalog_files(paths: Iterable[Path]) -> list[Path]:
    """The definition files named by `paths`: files as given, folders expanded to their *.yaml/*.yml (but not
    the registry of licences and materials beside them, nor any other file whose name starts with _)."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(sorted(p for p in path.iterdir() if _definition_file(p)))
        else:
            found.append(path)
    return found


def _definition_file(path: Path) -> bool:
    return path.suffix in (".yaml", ".yml") and not path.name.startswith("_") and path.is_file()


def registry_for(paths: Iterable[Path]) -> Path:
    """The registry definitions in `paths` are checked against: that of the first folder given (or holding a
    file given) that has its own, else that of the catalogue folder every process reads."""
    for path in paths:
        folder = path if path.is_dir() else path.parent
        if (folder / REGISTRY_FILE).is_file():
            return folder / REGISTRY_FILE
    return registry_path(catalog_folder())


@dataclass(frozen=True)
class FileResult:
    path: Path
    thing: OneThing | None
    errors: list[DefinitionError]


def check_files(
    files: Iterable[Path], *, registry: Path | None = None
) -> tuple[list[FileResult], list[DefinitionError]]:
    """Each file's own result (against the registry: `registry`, else `registry_for(files)`), plus the errors
    between files (two files with the same code) and the registry's own. A broken registry leaves the
    definitions checked without it: its errors come first, the rest as far as they can be told."""
    files = list(files)
    results, across, _ = _check(files, registry or registry_for(files))
    return results, across


def _check(files: list[Path], registry: Path) -> tuple[list[FileResult], list[DefinitionError], Registry | None]:
    shared, across = read_registry(registry)
    if shared is None:
        return [FileResult(path, None, [_unchecked(path, registry)]) for path in files], across, None
    results = [FileResult(path, *parse_file(path, registry=shared)) for path in files]
    first: dict[str, Path] = {}
    for result in results:
        if result.thing is None:
            continue
        code = result.thing.code
        if code in first:
            message = f"one-thing code '{code}' is also used by {display_path(first[code])}"
            fix = "give each definition its own code (and name the file after it)"
            line = _top_level_line(result.path, "code")
            across.append(DefinitionError(display_path(result.path), line, "code", message, fix))
        else:
            first[code] = result.path
    return results, across, shared


def _unchecked(path: Path, registry: Path) -> DefinitionError:
    message = f"not checked: the registry of licences and materials ({display_path(registry)}) is invalid"
    return DefinitionError(display_path(path), None, "", message, "fix the registry's errors listed below first")


def _top_level_line(path: Path, key: str) -> int | None:
    # The file parsed a moment ago, so a plain scan for the unindented key is enough here.
    for number, text in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if re.match(rf"{key}\s*:", text):
            return number
    return None


def load_catalog(directory: Path | None = None, *, earlier: EarlierVersions | None = None) -> Catalog:
    """Every definition in `directory` (default: the package's catalog/, for tests and tools that want exactly
    those; a process passes `catalog_folder(settings)`); CatalogError lists all errors.

    With `earlier` (the snapshots cases were accepted under), a file whose content changed while its
    version stayed the same is an error too, and the catalogue resolves those versions for old cases.
    """
    folder = directory or CATALOG_DIR
    results, across, registry = _check(catalog_files([folder]), registry_path(folder))
    errors = [error for result in results for error in result.errors] + across
    parsed = [(result.path, result.thing) for result in results if result.thing is not None]
    if earlier is not None:
        errors += changed_without_new_version(parsed, earlier)
    if errors:
        raise CatalogError(errors)
    return Catalog((thing for _, thing in parsed), earlier=earlier, registry=registry)
