"""`onething things validate` on deliberately broken definitions: every message names the file, the line,
what is wrong and how to fix it, in words a department's staff member can act on (no parser jargon)."""

from __future__ import annotations

import re

import pytest
from typer.testing import CliRunner

from cli.things import things_app
from tests.one_things.conftest import MINI, Breaker, line_of

runner = CliRunner()

JARGON = re.compile(r"Input should|dictionary|instance of|<block|flow sequence|flow mapping|scalar|token", re.I)

# (id, edits, line needle (+occurrence), what is wrong, how to fix it); `{line}` in a fix is the error's line.
CASES = [
    (
        "misspelt required key",
        [("    promised_days: 5\n", "    promised_day: 5\n")],
        ("promised_day: 5", 1),
        "items[1] (hukou): unknown key 'promised_day'",
        "rename it to `promised_days:`",
    ),
    (
        "misspelt top-level section",
        [("baseline:", "baselin:")],
        ("baselin:", 1),
        "unknown key 'baselin'",
        "rename it to `baseline:`",
    ),
    (
        "misspelt optional key",
        [("    depends_on: [cert]\n", "    depends_om: [cert]\n")],
        ("depends_om", 1),
        "items[1] (hukou): unknown key 'depends_om'",
        "did you mean 'depends_on'? Otherwise remove it; allowed keys here: code, item_no",
    ),
    (
        "text instead of a number",
        [("statutory_days: 20", "statutory_days: twenty")],
        ("statutory_days: twenty", 1),
        "items[1] (hukou).statutory_days: expected a whole number, found the text 'twenty'",
        "write a whole number without quotes, e.g. 5",
    ),
    (
        "text instead of a list",
        [("depends_on: [cert]", "depends_on: cert")],
        ("depends_on: cert", 1),
        "items[1] (hukou).depends_on: expected a list, found the text 'cert'",
        "one `- entry` per line, or [a, b]",
    ),
    (
        "one name instead of zh and en",
        [("name: {zh: 户口, en: Hukou}", "name: 户口")],
        ("name: 户口", 1),
        "items[1] (hukou).name: expected the keys zh, en, found the text '户口'",
        "write both names: {zh: 中文名称, en: English name}",
    ),
    (
        "a list entry that is not an entry",
        [("  - code: police\n    name: {zh: 公安, en: Police}\n", "  - police\n")],
        ("- police", 1),
        "departments[1]: expected the keys code, name, found the text 'police'",
        "write the entry as `- code: ...` with `name:` on the lines below, lined up under code",
    ),
    (
        "unknown item in depends_on",
        [("depends_on: [cert]", "depends_on: [cret]")],
        ("depends_on: [cret]", 1),
        "items[1] (hukou): depends_on names unknown item 'cret'",
        "did you mean 'cert'? Otherwise use one of: cert, card",
    ),
    (
        "cycle",
        [("    promised_days: 2\n", "    promised_days: 2\n    depends_on: [card]\n")],
        ("depends_on: [card]", 1),
        "items[0] (cert): dependency cycle: cert -> card -> hukou -> cert",
        "remove one of these depends_on entries",
    ),
    (
        "output nobody declares",
        [("    outputs: [hukou_no]\n", "")],
        ("hukou_no: items.hukou.hukou_no", 1),
        "items[2] (card).inputs.hukou_no: item 'hukou' declares no output 'hukou_no'",
        "item hukou has no outputs yet: add `outputs: [hukou_no]` to it",
    ),
    (
        "misspelt output",
        [("cert_no: items.cert.cert_no", "cert_no: items.cert.cert_nr")],
        ("items.cert.cert_nr", 1),
        "items[1] (hukou).inputs.cert_no: item 'cert' declares no output 'cert_nr'",
        "did you mean 'cert_no'? Otherwise add 'cert_nr' to the outputs of cert",
    ),
    (
        "a code that YAML reads as a number",
        [('item_no: "X-3"', "item_no: 0012")],
        ("item_no: 0012", 1),
        "items[2] (card).item_no: expected text, found 0012, which YAML reads as the number 10",
        'put quotes around it if it looks like a number or true/false, e.g. "0012"',
    ),
    (
        "a date where a number belongs",
        [("days: 30,", "days: 2024-13-01,")],
        ("days: 2024-13-01", 1),
        "baseline.days: expected a whole number, found the text '2024-13-01'",
        "write a whole number without quotes",
    ),
    (
        "unclosed list",
        [("    outputs: [hukou_no]", "    outputs: [hukou_no")],
        ("outputs: [hukou_no", 1),
        "not valid YAML: expected ',' or ']' but found ':'",
        "close the [ on line {line} with ] and separate its entries with commas",
    ),
    (
        "unclosed mapping",
        [("name: {zh: 户口, en: Hukou}", "name: {zh: 户口, en: Hukou")],
        ("name: {zh: 户口, en: Hukou", 1),
        "not valid YAML: expected ',' or '}' but found ':'",
        "close the { on line {line} with }",
    ),
    (
        "colon inside a text",
        [("en: Hukou}", "en: Hukou: booklet}")],
        ("Hukou: booklet", 1),
        "not valid YAML",
        'put quotes around a text that contains a colon, e.g. en: "Note: this"',
    ),
    (
        "unclosed quote",
        [('item_no: "X-2"', 'item_no: "X-2')],
        ('item_no: "X-2', 1),
        'not valid YAML: this line opens a quote (") that it does not close',
        "add the closing quote at the end of the text",
    ),
    (
        "missing colon",
        [("    mode: async_callback\n", "    mode async_callback\n")],
        ("mode async_callback", 1),
        "not valid YAML: this line has no colon after its key",
        "write `key: value` with a colon after the key",
    ),
    (
        "wrong indentation",
        [("    mode: async_callback", "   mode: async_callback")],
        ("   mode: async_callback", 1),
        "not valid YAML: the indentation does not fit (YAML expected the block above to end, found a new key)",
        "line this key up exactly under the keys of the same entry above (spaces only, two per level)",
    ),
    (
        "tab",
        [("    mode: async_callback", "\tmode: async_callback")],
        ("\tmode", 1),
        "not valid YAML: this line contains a tab character",
        "replace the tab with spaces",
    ),
    (
        "duplicate key",
        [("    promised_days: 2\n", "    promised_days: 2\n    promised_days: 3\n")],
        ("promised_days: 3", 1),
        f"items[0] (cert): key 'promised_days' appears twice (first at line {line_of(MINI, 'promised_days: 2')})",
        "keep only one of them",
    ),
    (
        "wrong enum value",
        [("source: citizen", "source: citizens")],
        ("source: citizens", 1),
        "materials[0] (photo).source: unknown value 'citizens'",
        "use one of: 'citizen', 'shared_data' or 'licence_library' (did you mean 'citizen'?)",
    ),
    (
        "bad code",
        [("- code: card", "- code: Card-1")],
        ("- code: Card-1", 1),
        "items[2] (Card-1).code: 'Card-1' is not a valid code",
        "use lower-case letters, digits and underscores, starting with a letter (e.g. hukou_registration); "
        "did you mean 'card_1'?",
    ),
]


@pytest.mark.parametrize(("edits", "needle", "what", "fix"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_validate_names_file_line_what_and_fix(
    broken: Breaker, edits: list[tuple[str, str]], needle: tuple[str, int], what: str, fix: str
) -> None:
    _, text = broken(*edits)
    result = runner.invoke(things_app, ["validate", "mini.yaml"])
    assert result.exit_code == 1
    errors = [line for line in result.output.splitlines() if line.startswith("mini.yaml:")]
    # One mistake, one message: a typo must not also be reported as the key it was meant to be.
    assert len(errors) == 1, result.output
    line = line_of(text, *needle)
    assert errors[0].startswith(f"mini.yaml:{line}: {what}"), errors[0]
    _, _, said_fix = errors[0].partition(" — fix: ")
    assert fix.replace("{line}", str(line)) in said_fix
    assert not JARGON.search(errors[0]), errors[0]
