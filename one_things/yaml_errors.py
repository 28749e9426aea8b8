"""YAML syntax errors explained for people who edit definitions by hand, not for parser authors.

PyYAML says what it expected where it noticed the problem ("expected ',' or ']', but got ':'"), which is
often the line after the mistake, and names its own grammar ("while parsing a flow sequence"). Here the
message keeps what YAML expected, names the construct in plain words with the line it starts on, and the
fix says what to change. The line is the one to edit: where a key or a bracket was opened when that is
where the mistake is.
"""

from __future__ import annotations

from dataclasses import dataclass

import yaml

_CONSTRUCTS = {
    "while parsing a flow sequence": "the [ ] list",
    "while parsing a flow mapping": "the { } mapping",
    "while parsing a block mapping": "the block of keys",
    "while parsing a block collection": "the list",
    "while scanning a quoted scalar": "the quoted text",
    "while scanning a simple key": "the key",
}

_TOKENS = {
    "'<block mapping start>'": "a new key",
    "'<block sequence start>'": "a new list",
    "'<scalar>'": "a value",
    "'-'": "a list entry (-)",
    "'?'": "a key",
}

_INDENT = "line this key up exactly under the keys of the same entry above (spaces only, two per level)"


@dataclass(frozen=True)
class YamlProblem:
    line: int | None
    message: str
    fix: str


def explain(exc: yaml.MarkedYAMLError, text: str) -> YamlProblem:
    """What went wrong, on which line, and what to change."""
    problem = (exc.problem or str(exc)).replace(", but got", " but found").replace(", but found", " but found")
    mark = exc.problem_mark or exc.context_mark
    noticed = mark.line + 1 if mark is not None else None
    start = exc.context_mark.line + 1 if exc.context_mark is not None else None
    lines = text.splitlines()
    shown = lines[noticed - 1] if noticed is not None and 0 < noticed <= len(lines) else ""

    def said(line: int | None, fix: str, message: str = "") -> YamlProblem:
        construct = _CONSTRUCTS.get(exc.context or "")
        where = f" (in {construct} that starts at line {start})" if construct and start and start != line else ""
        return YamlProblem(line, message or f"not valid YAML: {problem}{where}", fix)

    unclosed = _unclosed_quote(lines[:noticed] if noticed else lines)
    if unclosed is not None:
        # YAML lets a quoted text run over several lines, so a forgotten quote is noticed only lines later.
        fix = "add the closing quote at the end of the text"
        return said(unclosed, fix, 'not valid YAML: this line opens a quote (") that it does not close')
    if "'\\t'" in problem or "\t" in shown[: len(shown) - len(shown.lstrip())]:
        fix = "YAML allows only spaces here: replace the tab with spaces (two per level) and set the editor to indent"
        return said(noticed, f"{fix} with spaces", "not valid YAML: this line contains a tab character")
    if exc.context == "while parsing a flow sequence":
        return said(start, f"close the [ on line {start} with ] and separate its entries with commas")
    if exc.context == "while parsing a flow mapping":
        fix = (
            f"close the {{ on line {start} with }}, separate its entries with commas, "
            'and put quotes around a text that contains a colon, e.g. en: "Note: this"'
        )
        return said(start, fix)
    if exc.context == "while scanning a quoted scalar":
        fix = f"add the closing quote to the text that starts on line {start}"
        return said(start, fix, "not valid YAML: this quoted text is never closed")
    if exc.context == "while scanning a simple key":
        fix = "write `key: value` with a colon after the key, or indent this line if it continues the text above"
        return said(start, fix, "not valid YAML: this line has no colon after its key")
    if "mapping values are not allowed here" in problem:
        fix = f'if the colon belongs to a text, put the text in quotes (e.g. en: "Note: this"); otherwise {_INDENT}'
        return said(noticed, fix, "not valid YAML: a colon where YAML did not expect a new key")
    if problem.startswith("expected <block end>"):
        found = _TOKENS.get(problem.rpartition(" but found ")[2], "something else")
        message = f"not valid YAML: the indentation does not fit (YAML expected the block above to end, found {found})"
        return said(noticed, _INDENT, message)
    if "did not find expected" in problem:
        return said(noticed, _INDENT, f"not valid YAML: the indentation does not fit ({problem})")
    if "cannot start any token" in problem or "undefined alias" in problem:
        return said(noticed, "a value may not start with @, ` or * in YAML: put the whole value in quotes")
    if "another document" in problem:
        return said(noticed, "remove the --- line", "not valid YAML: a second document (---) in the file")
    return said(noticed, "check the indentation (spaces only), the colons after keys and the quotes")


def _unclosed_quote(lines: list[str]) -> int | None:
    """The first line whose double quotes do not pair up (a `"` inside a comment is not counted)."""
    for number, line in enumerate(lines, start=1):
        quotes, inside = 0, False
        for index, ch in enumerate(line):
            if ch == '"' and (index == 0 or line[index - 1] != "\\"):
                quotes += 1
                inside = not inside
            elif ch == "#" and not inside and (index == 0 or line[index - 1] in " \t"):
                break
        if quotes % 2:
            return number
    return None
