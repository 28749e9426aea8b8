from __future__ import annotations

import json

import yaml

from one_things.catalog import CATALOG_DIR
from one_things.jsonschema import SCHEMA_PATH, definition_json_schema, schema_text
from one_things.schema import OneThing


def test_committed_schema_is_current() -> None:
    # If this fails: uv run onething things schema --output one_things/onething.schema.json
    assert SCHEMA_PATH.read_text(encoding="utf-8") == schema_text()


def test_schema_header() -> None:
    schema = definition_json_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["title"] == "onething definition (一件事)"
    assert set(schema["required"]) >= {"code", "version", "items", "baseline"}
    assert schema["additionalProperties"] is False


def test_catalogue_files_fit_the_schema_models() -> None:
    # jsonschema is not a dependency; the pydantic models the schema is generated from stand in.
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    for path in sorted(CATALOG_DIR.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert set(data) <= set(schema["properties"]), path
        OneThing.model_validate(data)
