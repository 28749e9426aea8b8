"""Each cross-reference rule, broken once in the small MINI definition."""

from __future__ import annotations

import pytest

from one_things.loader import parse_file
from one_things.validation import check_definition
from tests.one_things.conftest import MINI, Breaker, line_of

DEPT_HEALTH = "  - code: health\n    name: {zh: 卫健委, en: Health}\n"
OPTION_NO = '      - value: "no"\n'
SECOND_QUESTION = (
    "  - code: wants_card\n"
    "    text: {zh: 又, en: Again}\n"
    "    options: [{value: a, label: {zh: a, en: a}}, {value: b, label: {zh: b, en: b}}]\n"
)

# (id, edits, line needle (+occurrence), location, message part, fix part)
CASES = [
    (
        "duplicate item",
        [("- code: card", "- code: cert")],
        ("- code: cert", 2),
        "items[2] (cert)",
        f"item code 'cert' is used twice (first at line {line_of(MINI, '- code: cert')})",
        "give each item a unique code",
    ),
    (
        "duplicate department",
        [
            (
                "  - code: police\n    name: {zh: 公安, en: Police}\n",
                DEPT_HEALTH + "  - code: police\n    name: {zh: 公安, en: Police}\n",
            )
        ],
        ("- code: health", 2),
        "departments[1] (health)",
        "department code 'health' is used twice",
        "unique code",
    ),
    (
        "duplicate form field",
        [("- code: sex", "- code: child_name")],
        ("- code: child_name", 2),
        "form[1] (child_name)",
        "form field code 'child_name' is used twice",
        "unique code",
    ),
    (
        "duplicate material",
        [("materials:\n", "materials:\n  - code: photo\n    name: {zh: 照片, en: Photo}\n    source: shared_data\n")],
        ("- code: photo", 2),
        "materials[1] (photo)",
        "material code 'photo' is used twice",
        "unique code",
    ),
    (
        "duplicate question",
        [("questions:\n", "questions:\n" + SECOND_QUESTION)],
        ("- code: wants_card", 2),
        "questions[1] (wants_card)",
        "question code 'wants_card' is used twice",
        "unique code",
    ),
    (
        "duplicate option",
        [(OPTION_NO, '      - value: "yes"\n')],
        ('- value: "yes"', 2),
        "questions[0] (wants_card).options[1] (yes)",
        "option code 'yes' is used twice",
        "unique value",
    ),
    (
        "undeclared department",
        [("department: police", "department: polce")],
        ("department: polce", 1),
        "items[1] (hukou)",
        "department 'polce' is not declared",
        "use one of: health, police",
    ),
    (
        "unknown dependency",
        [("depends_on: [cert]", "depends_on: [certificate]")],
        ("depends_on: [certificate]", 1),
        "items[1] (hukou)",
        "depends_on names unknown item 'certificate'",
        "use one of: cert, card",  # not hukou itself: an item cannot wait for itself
    ),
    (
        "cycle",
        [
            (
                "    inputs:\n      child: form.child_name",
                "    depends_on: [card]\n    inputs:\n      child: form.child_name",
            )
        ],
        ("depends_on: [card]", 1),
        "items[0] (cert)",
        "dependency cycle: cert -> card -> hukou -> cert",
        "remove one of these depends_on entries",
    ),
    (
        "promised over statutory",
        [("promised_days: 5", "promised_days: 30")],
        ("promised_days: 30", 1),
        "items[1] (hukou)",
        "promised_days 30 is more than statutory_days 20",
        "lower promised_days to at most 20",
    ),
    (
        "source syntax",
        [("child: form.child_name", "child: child_name")],
        ("child: child_name", 1),
        "items[0] (cert).inputs.child",
        "source 'child_name' is neither form.<field>, items.<item>.<output> nor answers.<question>",
        "write `form.<field>`, `items.<item>.<output>` or `answers.<question>`",
    ),
    (
        "unknown form field",
        [("child: form.child_name", "child: form.kid_name")],
        ("child: form.kid_name", 1),
        "items[0] (cert).inputs.child",
        "source 'form.kid_name' names no form field",
        "use one of: child_name, sex",
    ),
    (
        "unknown producer item",
        [("cert_no: items.cert.cert_no", "cert_no: items.certs.cert_no")],
        ("items.certs.cert_no", 1),
        "items[1] (hukou).inputs.cert_no",
        "names unknown item 'certs'",
        "use one of: cert, hukou, card",
    ),
    (
        "undeclared output",
        [("cert_no: items.cert.cert_no", "cert_no: items.cert.number")],
        ("items.cert.number", 1),
        "items[1] (hukou).inputs.cert_no",
        "item 'cert' declares no output 'number'",
        "add 'number' to the outputs of cert or use one of: cert_no",
    ),
    (
        "producer not waited for",
        [("depends_on: [cert]", "depends_on: []")],
        ("cert_no: items.cert.cert_no", 1),
        "items[1] (hukou).inputs.cert_no",
        "reads item 'cert', which hukou does not wait for",
        "add cert to depends_on of hukou",
    ),
    (
        "own output",
        [("hukou_no: items.hukou.hukou_no", "hukou_no: items.card.hukou_no")],
        ("items.card.hukou_no", 1),
        "items[2] (card).inputs.hukou_no",
        "reads this item's own output",
        "take the value from the form",
    ),
    (
        "material names unknown item",
        [("items: [card]", "items: [crad]")],
        ("items: [crad]", 1),
        "materials[0] (photo)",
        "items names unknown item 'crad'",
        "use one of: cert, hukou, card",
    ),
    (
        "option excludes unknown item",
        [("exclude: [card]", "exclude: [cards]")],
        ("exclude: [cards]", 1),
        "questions[0] (wants_card).options[1] (no)",
        "exclude names unknown item 'cards'",
        "use one of: cert, hukou, card",
    ),
    (
        "option includes unknown item",
        [("exclude: [card]", "include: [ghost]")],
        ("include: [ghost]", 1),
        "questions[0] (wants_card).options[1] (no)",
        "include names unknown item 'ghost'",
        "use one of",
    ),
    (
        "default not an option",
        [('default: "yes"', "default: maybe")],
        ("default: maybe", 1),
        "questions[0] (wants_card)",
        "default 'maybe' is not an option",
        "use one of: yes, no",
    ),
    (
        "choice without choices",
        [("    choices: [male, female]\n", "")],
        ("type: choice", 1),
        "form[1] (sex)",
        "a choice field without choices",
        "list the allowed values under choices",
    ),
    (
        "several outputs without names",
        [("    outputs: [cert_no]\n", "    outputs: [cert_no, weight]\n")],
        ("outputs: [cert_no, weight]", 1),
        "items[0] (cert)",
        "several outputs, some without a name: cert_no, weight",
        "name each under output_names, e.g. cert_no: {zh: …, en: …}",
    ),
    (
        "choice without a name",
        [("      female: {zh: 女, en: Female}\n", "")],
        ("choices: [male, female]", 1),
        "form[1] (sex)",
        "choices without a name: female",
        "name each under choice_names, e.g. female: {zh: …, en: …}",
    ),
    (
        "date rule on a text field",
        [("    type: text\n", "    type: text\n    not_in_future: true\n")],
        ("not_in_future: true", 1),
        "form[0] (child_name)",
        "not_in_future only apply to date fields",
        "set type: date",
    ),
]


@pytest.mark.parametrize(
    ("edits", "needle", "location", "message", "fix"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_rule_reports_file_line_and_fix(
    broken: Breaker, edits: list[tuple[str, str]], needle: tuple[str, int], location: str, message: str, fix: str
) -> None:
    path, text = broken(*edits)
    thing, errors = parse_file(path)
    assert thing is None
    matching = [e for e in errors if message in e.message]
    assert matching, "\n".join(str(e) for e in errors)
    error = matching[0]
    assert error.path == "mini.yaml"
    assert error.line == line_of(text, *needle)
    assert error.location == location
    assert fix in error.fix
    assert str(error).startswith(f"mini.yaml:{error.line}: {location}: ")


def test_transitive_dependency_is_enough_for_an_input(broken: Breaker) -> None:
    # card reads items.cert.cert_no and waits for it through hukou: valid.
    path, _ = broken()
    assert parse_file(path)[1] == []


def test_a_cycle_is_reported_once(broken: Breaker) -> None:
    path, _ = broken(("depends_on: [cert]", "depends_on: [cert, card]"))
    errors = parse_file(path)[1]
    assert [e.message for e in errors if "cycle" in e.message] == ["dependency cycle: hukou -> card -> hukou"]


def test_check_definition_works_without_a_file(newborn: object) -> None:
    from one_things.schema import OneThing

    assert isinstance(newborn, OneThing)
    broken = newborn.model_copy(update={"items": [*newborn.items, newborn.items[0]]})
    errors = check_definition(broken)
    assert [str(e) for e in errors] == [
        "<definition>: items[5] (birth_certificate): item code 'birth_certificate' is used twice"
        " — fix: give each item a unique code"
    ]
