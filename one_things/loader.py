"""Read a catalogue YAML file into a `OneThing`, reporting every mistake with `file:line`.

PyYAML's composed node tree keeps the line of every key and entry; pydantic's error locations and
the cross-reference checks (`one_things.validation`) are mapped back to it through `node_line`.
"""

from __future__ import annotations

import re
from functools import partial
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from one_things.hints import closest, fix_for, message_for, model_at
from one_things.namespaces import resolve_registry_names
from one_things.problems import CatalogError, DefinitionError
from one_things.registry import Registry
from one_things.schema import OneThing
from one_things.validation import Loc, check_definition, describe
from one_things.yaml_errors import explain


class _Loader(yaml.SafeLoader):
    """YAML 1.2 scalars: only true/false are booleans and nothing becomes a date.

    Under YAML 1.1 an option `value: no` would silently turn into the boolean False, and a
    non-programmer copying this file would get a baffling "not a valid string" error.
    """


class _FastLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """The same rules on libyaml's parser (PyYAML's C extension), about ten times faster: the API and every
    worker parse the whole catalogue at start. A file it refuses is parsed again by `_Loader`, whose error
    marks (with the offending line's text) `explain` turns into the message an author reads."""


_BOOL = "tag:yaml.org,2002:bool"
_DROPPED = {_BOOL, "tag:yaml.org,2002:timestamp"}
for _loader in (_Loader, _FastLoader):
    _loader.yaml_implicit_resolvers = {
        first: [(tag, rx) for tag, rx in resolvers if tag not in _DROPPED]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    _loader.add_implicit_resolver(_BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))


def display_path(path: Path) -> str:
    """The path relative to the working directory when inside it: short, and clickable in editors."""
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _walk(root: yaml.Node, loc: Loc) -> tuple[yaml.Node, int, bool]:
    """The deepest node along `loc` that exists, the 1-based line naming it, and whether it is `loc` itself."""
    node, line = root, root.start_mark.line + 1
    for part in loc:
        child: yaml.Node | None = None
        if isinstance(node, yaml.MappingNode) and isinstance(part, str):
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode) and key.value == part:
                    child, line = value, key.start_mark.line + 1  # the last duplicate wins, as in the data
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
            child = node.value[part]
            line = child.start_mark.line + 1
        if child is None:
            return node, line, False
        node = child
    return node, line, True


def node_line(root: yaml.Node, loc: Loc) -> int:
    """1-based line of the deepest node along `loc` that exists (a missing key -> its parent)."""
    return _walk(root, loc)[1]


def written_at(root: yaml.Node, loc: Loc) -> str | None:
    """The value at `loc` exactly as typed, when it is a plain value: `0012`, not the 10 YAML reads."""
    node, _, found = _walk(root, loc)
    return node.value if found and isinstance(node, yaml.ScalarNode) else None


def parse_file(path: Path, *, registry: Registry | None = None) -> tuple[OneThing | None, list[DefinitionError]]:
    """The definition in `path` and every error in it; the definition is None if there is any error.

    Checked against `registry`, else the registry of licences and materials of the file's folder (its own
    `_registry.yaml`, else the package's)."""
    shown = display_path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        fix = "check the path and save the file as UTF-8"
        return None, [DefinitionError(shown, None, "", f"cannot read the file ({type(exc).__name__})", fix)]
    if registry is None:
        # Imported here: reading the registry file uses this module's YAML reading.
        from one_things.registry_file import read_registry, registry_path

        registry, errors = read_registry(registry_path(path.parent))
        if registry is None:
            return None, errors
    return parse_text(text, shown, registry=registry)


def load_definition(path: Path, *, registry: Registry | None = None) -> OneThing:
    """The definition in `path`; raises CatalogError with all its errors."""
    thing, errors = parse_file(path, registry=registry)
    if thing is None:
        raise CatalogError(errors)
    return thing


def read_document(
    text: str, path: str, *, empty_fix: str = "start from a copy of one_things/catalog/newborn.yaml"
) -> tuple[yaml.Node, Any, list[DefinitionError]] | list[DefinitionError]:
    """The YAML document's node tree (for lines), its data and its duplicate keys; or why it cannot be read."""
    try:
        try:
            root, data = compose(_FastLoader, text)
        except yaml.YAMLError:
            root, data = compose(_Loader, text)  # raises again, with the marks `explain` reads
    except yaml.MarkedYAMLError as exc:
        problem = explain(exc, text)
        return [DefinitionError(path, problem.line, "", problem.message, problem.fix)]
    except yaml.YAMLError as exc:
        return [DefinitionError(path, None, "", f"not valid YAML: {exc}", "check the file's syntax")]
    if root is None:
        return [DefinitionError(path, 1, "", "the file is empty", empty_fix)]
    return root, data, _duplicate_keys(path, root, data)


def parse_text(
    text: str, path: str = "<definition>", *, registry: Registry | None = None
) -> tuple[OneThing | None, list[DefinitionError]]:
    """Like `parse_file` for text already in memory; `path` is only used in messages.

    With `registry`, materials and licence pre-fills must name its codes, and a material's name, which the
    file may leave out, is the registry's (`one_things.namespaces`); without it, the file names them itself.
    """
    read = read_document(text, path)
    if isinstance(read, list):
        return None, read
    root, data, errors = read
    locate = partial(node_line, root)
    if registry is not None:
        data, found = resolve_registry_names(data, registry, path=path, locate=locate)
        errors += found
    try:
        thing = OneThing.model_validate(data)
    except ValidationError as exc:
        return None, _by_line(errors + _schema_errors(path, data, root, exc.errors()))
    errors += check_definition(thing, path=path, locate=locate)
    return (None if errors else thing), _by_line(errors)


def compose(loader_class: type[yaml.SafeLoader], text: str) -> tuple[yaml.Node | None, Any]:
    """The document's node tree (for line numbers) and its data."""
    loader = loader_class(text)
    try:
        root = loader.get_single_node()
        return root, (loader.construct_document(root) if root is not None else None)
    finally:
        loader.dispose()


def _by_line(errors: list[DefinitionError]) -> list[DefinitionError]:
    """File order: an editor fixes top to bottom (stable, so one line's errors keep their order)."""
    return sorted(errors, key=lambda error: error.line or 0)


def _duplicate_keys(path: str, root: yaml.Node, data: object) -> list[DefinitionError]:
    """YAML keeps the last of two equal keys without a word; in a definition that is always a mistake."""
    errors: list[DefinitionError] = []
    seen_nodes: set[int] = set()  # anchors and aliases can share (or even nest) nodes

    def walk(node: yaml.Node, loc: Loc) -> None:
        if id(node) in seen_nodes:
            return
        seen_nodes.add(id(node))
        if isinstance(node, yaml.MappingNode):
            first: dict[str, int] = {}
            for key, value in node.value:
                name = key.value if isinstance(key, yaml.ScalarNode) else None
                if name is not None and name in first:
                    message = f"key '{name}' appears twice (first at line {first[name]})"
                    fix = "keep only one of them; otherwise the last one silently wins"
                    errors.append(DefinitionError(path, key.start_mark.line + 1, describe(data, loc), message, fix))
                elif name is not None:
                    first[name] = key.start_mark.line + 1
                walk(value, (*loc, name) if name is not None else loc)
        elif isinstance(node, yaml.SequenceNode):
            for index, child in enumerate(node.value):
                walk(child, (*loc, index))

    walk(root, ())
    return errors


def _schema_errors(path: str, data: object, root: yaml.Node, errors: list[ErrorDetails]) -> list[DefinitionError]:
    """pydantic's errors as an author reads them.

    A misspelt required key (`promised_day`) shows up twice in pydantic: as an unknown key and as the
    missing key it was meant to be. One mistake gets one message: on the unknown key's line, with the
    rename as the fix.
    """
    missing = {tuple(e["loc"]) for e in errors if e["type"] == "missing"}
    renames: dict[Loc, str] = {}
    for error in errors:
        loc: Loc = tuple(error["loc"])
        if error["type"] == "extra_forbidden" and loc:
            parent = loc[:-1]
            meant = closest(str(loc[-1]), [str(m[-1]) for m in missing if m[:-1] == parent])
            if meant is not None:
                renames[loc] = meant
                missing.discard((*parent, meant))
    kept = [e for e in errors if e["type"] != "missing" or tuple(e["loc"]) in missing]
    return [_from_pydantic(path, data, root, error, renames.get(tuple(error["loc"]))) for error in kept]


def _from_pydantic(
    path: str, data: object, root: yaml.Node, error: ErrorDetails, rename: str | None = None
) -> DefinitionError:
    loc: Loc = tuple(error["loc"])
    kind = error["type"]
    if kind in ("extra_forbidden", "missing") and loc:
        # Name the mapping the key belongs to (or should belong to) and the key in the message.
        parent, key = loc[:-1], loc[-1]
        message = f"unknown key '{key}'" if kind == "extra_forbidden" else f"required key '{key}' is missing"
        line = node_line(root, loc if kind == "extra_forbidden" else parent)
        fix = fix_for(error, model_at(parent))
        if rename is not None:
            fix = f"rename it to `{rename}:` (a required key that is missing here)"
        return DefinitionError(path, line, describe(data, parent), message, fix)
    shown_loc = tuple(part for part in loc if part != "[key]")
    message = message_for(error, written_at(root, loc))
    if "[key]" in loc:
        message = f"key {message}"
    parent_model: type[BaseModel] | None = model_at(loc[:-1])
    return DefinitionError(path, node_line(root, loc), describe(data, shown_loc), message, fix_for(error, parent_model))
