"""Every JSON body of the OpenAPI document, walked: each string is bounded, each free-text one refuses control
characters (NUL, escapes, bidi overrides) with a 422 naming it, the same shared type everywhere."""

from __future__ import annotations

from typing import Any

import pytest

from api.deps import get_temporal
from cli.bad_input import caller_for
from core.auth import Role
from tests.routers.test_applications import assert_problem
from tests.routers.test_openapi_boundaries import NOT_YET_BOUNDED_BODIES, signed_in
from tests.support.inprocess import InProcessApi

Schema = dict[str, Any]


def _resolve(document: Schema, schema: Schema) -> Schema:
    while "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].split("/")[-1]]
    return schema


def _kinds(document: Schema, schema: Schema) -> list[Schema]:
    return [_resolve(document, kind) for kind in [schema, *schema.get("anyOf", [])]]


def _strings(document: Schema, schema: Schema, path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], Schema]]:
    """(where, schema) of every string a body can carry: properties, dict keys and values, array items."""
    found: list[tuple[tuple[str, ...], Schema]] = []
    for kind in _kinds(document, schema):
        if kind.get("type") == "string":
            found.append((path, kind))
        for name, prop in kind.get("properties", {}).items():
            found += _strings(document, prop, (*path, name))
        values = kind.get("additionalProperties")
        if isinstance(values, dict):
            found.append(((*path, "<key>"), kind.get("propertyNames", {"type": "string"})))
            found += _strings(document, values, (*path, "<value>"))
        if "items" in kind:
            found += _strings(document, kind["items"], (*path, "<item>"))
    return found


def _collections(document: Schema, schema: Schema, path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], Schema]]:
    """(where, schema) of every map and list a body can carry."""
    found: list[tuple[tuple[str, ...], Schema]] = []
    for kind in _kinds(document, schema):
        if kind.get("type") == "array" or isinstance(kind.get("additionalProperties"), dict):
            found.append((path, kind))
        for name, prop in kind.get("properties", {}).items():
            found += _collections(document, prop, (*path, name))
        if isinstance(kind.get("additionalProperties"), dict):
            found += _collections(document, kind["additionalProperties"], (*path, "<value>"))
        if "items" in kind:
            found += _collections(document, kind["items"], (*path, "<item>"))
    return found


def _bodies(document: Schema) -> list[tuple[str, str, Schema]]:
    bodies = []
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            content = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if content is not None and not path.startswith("/api/v1/callbacks"):
                bodies.append((method, path, content["schema"]))
    return bodies


def _free_text(kind: Schema) -> bool:
    return not ({"enum", "format", "pattern", "contentMediaType"} & kind.keys())


def _body_with(where: tuple[str, ...], value: str) -> Any:
    """A body holding `value` at `where` and nothing else: other fields may be missing, this one is checked too."""
    if not where:
        return value
    head, rest = where[0], where[1:]
    if head == "<key>":
        return {value: "x"}
    if head == "<value>":
        return {"code": _body_with(rest, value)}
    if head == "<item>":
        return [_body_with(rest, value)]
    return {head: _body_with(rest, value)}


def _field(where: tuple[str, ...]) -> str:
    return ".".join("code" if part == "<value>" else "0" if part == "<item>" else part for part in where)


def test_every_string_and_collection_of_a_body_is_bounded(api: InProcessApi) -> None:
    document = api.app.openapi()
    unbounded = []
    for method, path, schema in _bodies(document):
        for where, kind in _strings(document, schema):
            if where and where[-1] != "<key>" and _free_text(kind) and "maxLength" not in kind:
                unbounded.append(f"{method.upper()} {path} {_field(where)}")
        for where, kind in _collections(document, schema):
            if not {"maxItems", "maxProperties"} & kind.keys():
                unbounded.append(f"{method.upper()} {path} {_field(where)} (how many)")
    assert not unbounded, "\n".join(unbounded)


async def test_every_free_text_of_a_body_refuses_control_characters(api: InProcessApi) -> None:
    document = api.app.openapi()
    probes = [
        (method, path, where)
        for method, path, schema in _bodies(document)
        for where, kind in _strings(document, schema)
        if where and _free_text(kind) and (method, path, _field(where)) not in NOT_YET_BOUNDED_BODIES
    ]
    assert len(probes) >= 20
    missed = []
    # Routes that reach Temporal directly would answer 503 before reading the body; a body this broken never
    # gets to the handler, so a stand-in client is never used.
    api.app.dependency_overrides[get_temporal] = object
    try:
        missed = await _probe(api, probes)
    finally:
        del api.app.dependency_overrides[get_temporal]
    assert not missed, "\n".join(missed)


async def _probe(api: InProcessApi, probes: list[tuple[str, str, tuple[str, ...]]]) -> list[str]:
    missed = []
    for method, path, where in probes:
        url = path.replace("{verdict}", "confirm")
        for segment in [part for part in url.split("/") if part.startswith("{")]:
            url = url.replace(segment, "x")
        for value in ("a\x00b", "a\x1b[31mb", "a\u202eb"):
            async with signed_in(api, *caller_for(path)) as client:
                response = await client.request(method, url, json=_body_with(where, value))
            problem = assert_problem(response, 422)
            messages = [e["message"] for e in problem["errors"] if e["field"].startswith(_field(where).split(".")[0])]
            if not any("control character" in message for message in messages):
                missed.append(f"{method.upper()} {path} {_field(where)} {value!r}: {problem['errors']}")
    return missed


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("newborn_name", "小\x00明"),
        ("newborn_name", "小明\u202e"),
        ("birth_hospital", "a\nb"),
        ("newborn_name", "明" * 2000),
    ],
)
async def test_a_form_field_with_a_control_character_is_refused_by_name(
    api: InProcessApi, field: str, value: str
) -> None:
    async with api.as_user(Role.CITIZEN, "citizen-nul-name") as citizen:
        response = await citizen.post("/api/v1/applications", json=api.newborn(**{field: value}))
    problem = assert_problem(response, 422)
    assert [error["field"] for error in problem["errors"]] == [f"form.{field}"]
    assert "\x00" not in response.text  # the refusal names the rule, never echoes the value
