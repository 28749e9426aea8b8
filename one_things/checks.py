"""The machinery every definition check shares: where an error is, how it is described, what to suggest.

Separate from the checks themselves (`one_things.validation`, `one_things.format2`) so each check module
stays small and they can use one another's helpers without importing each other.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from one_things.hints import did_you_mean
from one_things.problems import DefinitionError
from one_things.schema import OneThing

Loc = tuple[str | int, ...]
Locator = Callable[[Loc], int | None]


def describe(thing: object, loc: Loc) -> str:
    """`items[2] (hukou_registration).depends_on[0]`: the index plus the entry's code, for humans.

    `thing` is a parsed model or the raw YAML data; both are walked the same way.
    """
    text = ""
    node: object = thing
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
            in_range = isinstance(node, Sequence) and not isinstance(node, str) and 0 <= part < len(node)
            node = node[part] if in_range else None  # type: ignore[index]
            code = _get(node, "code") or _get(node, "value")
            if isinstance(code, str):
                text += f" ({code})"
        else:
            text += f".{part}" if text else part
            node = _get(node, part)
    return text


def _get(node: object, key: str) -> object:
    return node.get(key) if isinstance(node, dict) else getattr(node, key, None)


class Collector:
    def __init__(self, thing: OneThing, path: str, locate: Locator | None) -> None:
        self.thing, self.path, self.locate = thing, path, locate
        self.errors: list[DefinitionError] = []

    def add(self, loc: Loc, message: str, fix: str, *, at: Loc = ()) -> None:
        """`loc` names the entry in the message; `at` (keys inside it) narrows the line number."""
        line = self.locate((*loc, *at)) if self.locate else None
        self.errors.append(DefinitionError(self.path, line, describe(self.thing, loc), message, fix))

    def first_at(self, loc: Loc) -> str:
        line = self.locate(loc) if self.locate else None
        return f" (first at line {line})" if line is not None else ""


def allowed(codes: Iterable[str]) -> str:
    return ", ".join(dict.fromkeys(codes)) or "(none declared)"


def use(wrong: str, codes: Iterable[str]) -> str:
    """The fix for a reference to something undeclared: the likely intended code first, then every option."""
    options = list(codes)
    return f"{did_you_mean(wrong, options)}use one of: {allowed(options)}"
