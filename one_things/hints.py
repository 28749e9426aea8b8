"""Human fix hints for pydantic's error types, for people editing catalogue YAML by hand."""

from __future__ import annotations

from typing import Any, get_args

from pydantic import BaseModel
from pydantic_core import ErrorDetails

from one_things.schema import OneThing

CODE_RULE = "use lower-case letters, digits and underscores, starting with a letter (e.g. hukou_registration)"

_FIXED: dict[str, str] = {
    "string_type": 'write text; put quotes around it if it looks like a number or true/false, e.g. "0012"',
    "int_type": "write a whole number without quotes, e.g. 5",
    "int_parsing": "write a whole number without quotes, e.g. 5",
    "int_from_float": "write a whole number without quotes, e.g. 5",
    "bool_type": "write true or false",
    "bool_parsing": "write true or false",
    "list_type": "write a list: one `- entry` per line, or [a, b]",
    "dict_type": "write a mapping: one `key: value` per line",
    "model_type": "write a mapping: one `key: value` per line",
    "model_attributes_type": "write a mapping: one `key: value` per line",
    "string_pattern_mismatch": CODE_RULE,
}


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


def fix_for(error: ErrorDetails, parent: type[BaseModel] | None) -> str:
    """What to do about `error`; `parent` is the model of the mapping the error sits in."""
    kind, ctx = error["type"], error.get("ctx") or {}
    key = error["loc"][-1] if error["loc"] else ""
    if kind == "extra_forbidden":
        allowed = ", ".join(parent.model_fields) if parent else "see docs/catalog.md"
        return f"remove it or check spelling; allowed keys: {allowed}"
    if kind == "missing":
        field = parent.model_fields.get(str(key)) if parent else None
        about = f" ({field.description})" if field and field.description else ""
        return f"add `{key}:` here{about}"
    if kind == "enum":
        return f"use one of: {ctx.get('expected', 'the documented values')}"
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
