"""The definition format as JSON Schema, for editors (autocompletion in YAML) and other languages.

The committed `onething.schema.json` is generated from the pydantic models; a test keeps it current.
Regenerate with `uv run onething things schema --output one_things/onething.schema.json`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from one_things.schema import OneThing

SCHEMA_PATH = Path(__file__).parent / "onething.schema.json"
DIALECT = "https://json-schema.org/draft/2020-12/schema"


def definition_json_schema() -> dict[str, Any]:
    """JSON Schema of a one-thing definition file (the cross-reference checks are not in it)."""
    schema = OneThing.model_json_schema()
    schema.pop("title", None)
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
