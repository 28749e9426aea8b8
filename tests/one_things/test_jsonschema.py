from __future__ import annotations

import json
from typing import Any

import yaml

from one_things.catalog import CATALOG_DIR, catalog_files
from one_things.jsonschema import SCHEMA_PATH, definition_json_schema, schema_text
from one_things.loader import parse_file
from one_things.schema import IntegrationMode


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
    for path in catalog_files([CATALOG_DIR]):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert set(data) <= set(schema["properties"]), path
        for material in data.get("materials", []):
            assert set(schema["$defs"]["Material"]["required"]) <= set(material), path  # the name may be left out
        assert parse_file(path)[1] == [], path


def _properties(schema: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    found = [(f"(top level).{key}", value) for key, value in schema["properties"].items()]
    for name, definition in schema["$defs"].items():
        found += [(f"{name}.{key}", value) for key, value in definition.get("properties", {}).items()]
    return found


def test_every_key_is_described_for_the_editor() -> None:
    # An editor shows these on hover and beside each completion; an undescribed key leaves the author guessing.
    schema = definition_json_schema()
    undescribed = [name for name, value in _properties(schema) if not value.get("description")]
    assert undescribed == []
    assert all(definition.get("description") for definition in schema["$defs"].values())


def test_every_enum_lists_its_values_with_what_they_mean() -> None:
    schema = definition_json_schema()
    enums = {name: d for name, d in schema["$defs"].items() if "enum" in d}
    assert set(enums) >= {"IntegrationMode", "MaterialSource", "FieldType", "ApplicantKind"}
    for name, definition in enums.items():
        assert len(definition["enumDescriptions"]) == len(definition["enum"]), name
        assert all(definition["enumDescriptions"]), f"{name}: a value has no docstring in one_things/schema.py"
    mode = enums["IntegrationMode"]
    assert mode["enum"] == [m.value for m in IntegrationMode]
    assert "callback" in mode["enumDescriptions"][mode["enum"].index("async_callback")]


def test_catalogue_files_point_editors_at_the_committed_schema() -> None:
    pointing = []
    for path in sorted(CATALOG_DIR.glob("*.yaml")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.startswith("# yaml-language-server: $schema="):
                assert (path.parent / line.partition("=")[2]).resolve() == SCHEMA_PATH.resolve(), path
                pointing.append(path.name)
    assert "newborn.yaml" in pointing
