"""Read the registry of licence types and materials (`_registry.yaml`), every mistake with `file:line`."""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError

from one_things.hints import fix_for, message_for
from one_things.loader import display_path, node_line, read_document
from one_things.problems import CatalogError, DefinitionError
from one_things.registry import REGISTRY_FILE, Registered, Registry, RegistryDocument, Section
from one_things.validation import describe

PACKAGE_REGISTRY = Path(__file__).parent / "catalog" / REGISTRY_FILE


def registry_path(folder: Path) -> Path:
    """The registry of a catalogue folder: its own `_registry.yaml`, else the package's (a folder of extra
    definitions shares the package's licences and materials)."""
    own = folder / REGISTRY_FILE
    return own if own.is_file() else PACKAGE_REGISTRY


def read_registry(path: Path) -> tuple[Registry | None, list[DefinitionError]]:
    """The registry in `path`, or None with every error in it."""
    shown = display_path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        fix = f"restore {REGISTRY_FILE} (copy the package's one_things/catalog/{REGISTRY_FILE}) and save it as UTF-8"
        return None, [DefinitionError(shown, None, "", f"cannot read the registry ({type(exc).__name__})", fix)]
    read = read_document(text, shown, empty_fix="list licences: and materials:, each entry `- code:` and `name:`")
    if isinstance(read, list):
        return None, read
    root, data, errors = read
    try:
        document = RegistryDocument.model_validate(data)
    except ValidationError as exc:
        for error in exc.errors():
            loc = tuple(error["loc"])
            message = message_for(error) if error["type"] != "extra_forbidden" else f"unknown key '{loc[-1]}'"
            fix = fix_for(error, None) if error["type"] != "extra_forbidden" else "use licences: and materials: only"
            errors.append(DefinitionError(shown, node_line(root, loc), describe(data, loc), message, fix))
        return None, errors
    entries: dict[str, Registered] = {}
    for section in Section:
        for index, entry in enumerate(getattr(document, section.value)):
            loc = (section.value, index)
            earlier = entries.get(entry.code)
            if earlier is not None:
                message = f"code '{entry.code}' is registered twice (first at line {earlier.line})"
                fix = "one code, one name: keep one entry, or give the other thing a code of its own"
                line = node_line(root, (*loc, "code"))
                errors.append(DefinitionError(shown, line, describe(data, loc), message, fix))
                continue
            entries[entry.code] = Registered(section, entry.name, node_line(root, loc))
    return (None, errors) if errors else (Registry(shown, entries), [])


def package_registry() -> Registry:
    """The package's own registry (what `things new` drafts and the package's definitions are checked against)."""
    registry, errors = read_registry(PACKAGE_REGISTRY)
    if registry is None:
        raise CatalogError(errors)
    return registry
