"""Plain words for pydantic's errors, for people editing catalogue YAML by hand.

pydantic says "Input should be a valid dictionary or instance of Names"; an author needs "expected the
keys zh, en, found the text '户口'" and "write {zh: 中文名称, en: English name}". `message_for` says
what is wrong, `fix_for` what to write instead; `closest` powers every "did you mean".
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from typing import Any, get_args

from pydantic import BaseModel
from pydantic_core import ErrorDetails

from one_things.schema import Names, OneThing

CODE_RULE = "use lower-case letters, digits and underscores, starting with a letter (e.g. hukou_registration)"

_FIXED: dict[str, str] = {
    "string_type": 'write text; put quotes around it if it looks like a number or true/false, e.g. "0012"',
    "int_type": "write a whole number without quotes, e.g. 5",
    "int_parsing": "write a whole number without quotes, e.g. 5",
    "int_from_float": "write a whole number without quotes, e.g. 5",
    "bool_type": "write true or false",
    "bool_parsing": "write true or false",
    "list_type": "write a list: one `- entry` per line, or [a, b]",
    "dict_type": "write one `name: value` per line, indented under this key",
    "string_pattern_mismatch": CODE_RULE,
}

_EXPECTED = {
    "int_type": "a whole number",
    "int_parsing": "a whole number",
    "int_from_float": "a whole number",
    "string_type": "text",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "list_type": "a list",
    "dict_type": "`name: value` lines",
}

_MAPPING_TYPES = ("model_type", "model_attributes_type")


def closest(word: str, choices: Iterable[str]) -> str | None:
    """The choice `word` was most likely meant to be (a typo, another case), or None if none is close."""
    options = list(dict.fromkeys(choices))
    lowered = {option.lower(): option for option in options}
    found = difflib.get_close_matches(word.lower(), list(lowered), n=1, cutoff=0.6)
    return lowered[found[0]] if found else None


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """`did you mean 'x'? Otherwise ` when one choice is close, else nothing: the start of a fix."""
    match = closest(word, choices)
    return f"did you mean '{match}'? Otherwise " if match is not None and match != word else ""


def model_at(loc: tuple[str | int, ...]) -> type[BaseModel] | None:
    """The model class a location inside a OneThing document is parsed into, if any."""
    model: type[BaseModel] | None = OneThing
    for part in loc:
        if isinstance(part, int):
            continue  # list indexes: the list's element model was already taken below
        if model is None or part not in model.model_fields:
            return None
        model = _inner_model(model.model_fields[part].annotation)
    return model


def _inner_model(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        found = _inner_model(arg)
        if found is not None:
            return found
    return None


def shown(value: object) -> str:
    """A value as an author would describe what they wrote."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the text '{value}'" if len(value) <= 40 else "a long text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "`key: value` lines"
    return "an empty value" if value is None else "something else"


def _keys(model: type[BaseModel]) -> list[str]:
    required = [name for name, field in model.model_fields.items() if field.is_required()]
    return required or list(model.model_fields)


def _about(model: type[BaseModel] | None, key: str) -> str:
    """The key's description, else the description of the section it holds (its model's docstring)."""
    field = model.model_fields.get(key) if model else None
    if field is None:
        return ""
    if field.description:
        return field.description
    inner = _inner_model(field.annotation)
    return (inner.__doc__ or "").strip().split("\n")[0].rstrip(".") if inner else ""


def message_for(error: ErrorDetails, written: str | None = None) -> str:
    """What is wrong at `error`'s location (the location itself is shown apart); `written` is the value
    as typed in the file, shown instead of what YAML made of it when they differ (0012 is the number 10)."""
    kind, ctx, value = error["type"], error.get("ctx") or {}, error.get("input")
    if written is not None and not isinstance(value, str) and written.lower() != str(value).lower():
        return f"expected {_EXPECTED.get(kind, 'something else')}, found {written}, which YAML reads as {shown(value)}"
    if kind == "enum":
        return f"unknown value {value!r}"
    if kind == "string_pattern_mismatch":
        return f"{value!r} is not a valid code"
    if kind in _EXPECTED:
        return f"expected {_EXPECTED[kind]}, found {shown(value)}"
    if kind in _MAPPING_TYPES:
        model = model_at(tuple(error["loc"]))
        keys = f"the keys {', '.join(_keys(model))}" if model else "`key: value` lines"
        return f"expected {keys}, found {shown(value)}"
    if kind == "greater_than_equal":
        return f"{value} is too small"
    if kind == "too_short":
        count = ctx.get("min_length", 1)
        return f"needs at least {count} entr{'y' if count == 1 else 'ies'}"
    if kind == "string_too_short":
        return "is empty"
    if kind in ("string_too_long", "too_long"):
        return "is too long"
    message = error["msg"][:1].lower() + error["msg"][1:]
    if isinstance(value, str | int | float | bool) and len(repr(value)) <= 60:
        message += f" (found {shown(value)})"
    return message


def fix_for(error: ErrorDetails, parent: type[BaseModel] | None) -> str:
    """What to do about `error`; `parent` is the model of the mapping the error sits in."""
    kind, ctx = error["type"], error.get("ctx") or {}
    key = str(error["loc"][-1]) if error["loc"] else ""
    if kind == "extra_forbidden":
        allowed = list(parent.model_fields) if parent else []
        listed = ", ".join(allowed) if allowed else "see docs/catalog.md"
        mean = did_you_mean(key, allowed)
        start = f"{mean}remove it" if mean else "remove it or correct the spelling"
        return f"{start}; allowed keys here: {listed}"
    if kind == "missing":
        about = _about(parent, key)
        where = "to this entry" if len(error["loc"]) > 1 else "at the top level of the file, not indented"
        return f"add `{key}:` {where}" + (f" ({about})" if about else "")
    if kind == "enum":
        expected = str(ctx.get("expected", "the documented values"))
        meant = closest(str(error.get("input")), re.findall(r"'([^']*)'", expected))
        return f"use one of: {expected}" + (f" (did you mean '{meant}'?)" if meant else "")
    if kind == "string_pattern_mismatch":
        suggestion = re.sub(r"[^a-z0-9]+", "_", str(error.get("input")).lower()).strip("_")
        return CODE_RULE + (f"; did you mean '{suggestion}'?" if re.fullmatch(r"[a-z][a-z0-9_]*", suggestion) else "")
    if kind in _MAPPING_TYPES:
        model = model_at(tuple(error["loc"]))
        if model is Names:
            return "write both names: {zh: 中文名称, en: English name}"
        keys = _keys(model) if model else []
        if not error["loc"]:
            listed = ", ".join(keys)
            return (
                f"write the keys {listed} at the start of lines, not as a `- ` list (`onething things new` shows how)"
            )
        if isinstance(error["loc"][-1], int) and keys:
            first, rest = keys[0], ", ".join(f"`{k}:`" for k in keys[1:])
            below = f" with {rest} on the lines below, lined up under {first}" if rest else ""
            return f"write the entry as `- {first}: ...`{below}"
        listed = ", ".join(f"`{k}:`" for k in keys)
        return f"write {listed} on their own lines, indented under it" if keys else "write one `key: value` per line"
    if kind == "greater_than_equal":
        return f"use a number of at least {ctx.get('ge')}"
    if kind == "too_short":
        count = ctx.get("min_length", 1)
        return f"add at least {count} entr{'y' if count == 1 else 'ies'}"
    if kind == "string_too_short":
        return "write a non-empty text"
    if kind in ("string_too_long", "too_long"):
        return f"shorten it to at most {ctx.get('max_length')}"
    return _FIXED.get(kind, "see docs/catalog.md for the format of this key")
