"""The definition format as JSON Schema, for editors (autocompletion in YAML) and other languages.

The committed `onething.schema.json` is generated from the pydantic models; a test keeps it current.
Regenerate with `uv run onething things schema --output one_things/onething.schema.json`.
"""

from __future__ import annotations

import ast
import inspect
import itertools
import json
import textwrap
from enum import StrEnum
from pathlib import Path
from typing import Any

from one_things import schema as schema_module
from one_things.schema import OneThing

SCHEMA_PATH = Path(__file__).parent / "onething.schema.json"
DIALECT = "https://json-schema.org/draft/2020-12/schema"


def enum_descriptions(enum: type[StrEnum]) -> list[str]:
    """Each member's docstring (the string right after it in the class body), in member order.

    Python keeps no attribute docstrings at run time, so they are read from the source: the schema
    module documents each value once, and editors show the same words beside each completion.
    """
    body = ast.parse(textwrap.dedent(inspect.getsource(enum))).body[0]
    assert isinstance(body, ast.ClassDef)
    docs: dict[str, str] = {}
    for node, after in itertools.pairwise(body.body):
        if isinstance(node, ast.Assign) and isinstance(after, ast.Expr) and isinstance(after.value, ast.Constant):
            target = node.targets[0]
            if isinstance(target, ast.Name) and isinstance(after.value.value, str):
                docs[target.id] = inspect.cleandoc(after.value.value)
    return [docs.get(member.name, "") for member in enum]


_ENUMS = [value for value in vars(schema_module).values() if isinstance(value, type) and issubclass(value, StrEnum)]


def definition_json_schema() -> dict[str, Any]:
    """JSON Schema of a one-thing definition file (the cross-reference checks are not in it)."""
    schema = OneThing.model_json_schema()
    schema.pop("title", None)
    # `enumDescriptions` is what VS Code and yaml-language-server show beside each value they offer.
    for enum in _ENUMS:
        definition = schema["$defs"].get(enum.__name__)
        if definition is not None and definition.get("enum") == [member.value for member in enum]:
            definition["enumDescriptions"] = enum_descriptions(enum)
    # The loader fills a material's name from the registry of licences and materials (one_things.namespaces),
    # so a file leaves it out: the model requires it, the file does not.
    schema["$defs"]["Material"]["required"].remove("name")
    return {
        "$schema": DIALECT,
        "title": "onething definition (一件事)",
        "description": "A one-thing bundle definition; see docs/catalog.md. "
        "Cross-references are checked by `onething things validate`.",
        **schema,
    }


def schema_text() -> str:
    """The schema as the committed file holds it (stable key order, UTF-8, final newline)."""
    return json.dumps(definition_json_schema(), ensure_ascii=False, indent=2) + "\n"
