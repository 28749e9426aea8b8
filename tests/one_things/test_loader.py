from __future__ import annotations

from pathlib import Path

import pytest

from one_things.catalog import CATALOG_DIR
from one_things.loader import load_definition, parse_file, parse_text
from one_things.problems import CatalogError, DefinitionError
from one_things.registry_file import package_registry
from tests.one_things.conftest import MINI, Breaker, line_of


def test_newborn_file_loads_without_errors() -> None:
    thing, errors = parse_file(CATALOG_DIR / "newborn.yaml")
    assert errors == []
    assert thing is not None
    assert thing.code == "newborn"
    assert [item.code for item in thing.items] == [
        "birth_certificate",
        "vaccination_certificate",
        "hukou_registration",
        "social_security_card",
        "medical_insurance",
    ]


def test_newborn_items_have_the_agreed_modes_and_links() -> None:
    thing = load_definition(CATALOG_DIR / "newborn.yaml")
    modes = {item.code: item.mode.value for item in thing.items}
    assert modes == {
        "birth_certificate": "sync_rest",
        "vaccination_certificate": "standard_module",
        "hukou_registration": "async_callback",
        "social_security_card": "batch",
        "medical_insurance": "sync_rest",
    }
    hukou = thing.item("hukou_registration")
    assert hukou.depends_on == ["birth_certificate"]
    assert hukou.inputs["birth_cert_no"] == "items.birth_certificate.birth_cert_no"
    assert thing.item("social_security_card").inputs["hukou_no"] == "items.hukou_registration.hukou_no"
    assert thing.baseline.model_dump(exclude={"source"}) == {"steps": 22, "days": 100, "materials": 3, "trips": 14}
    assert [m.code for m in thing.materials if not m.exempt] == ["newborn_photo"]


def test_mini_definition_is_valid() -> None:
    thing, errors = parse_text(MINI, "mini.yaml", registry=package_registry())
    assert errors == []
    assert thing is not None


def test_error_string_has_file_line_location_and_fix() -> None:
    error = DefinitionError("one_things/catalog/newborn.yaml", 42, "items[2] (hukou)", "too slow", "hurry")
    assert str(error) == "one_things/catalog/newborn.yaml:42: items[2] (hukou): too slow — fix: hurry"


def test_unknown_key_names_line_and_allowed_keys(broken: Breaker) -> None:
    path, text = broken(("    promised_days: 5\n", "    promised_days: 5\n    promissed: 3\n"))
    _, errors = parse_file(path)
    assert len(errors) == 1
    message = str(errors[0])
    assert message.startswith(f"mini.yaml:{line_of(text, 'promissed')}: items[1] (hukou): unknown key 'promissed'")
    assert "did you mean 'promised_days'? Otherwise remove it; allowed keys here: code, item_no, department" in message


def test_missing_key_points_at_its_mapping(broken: Breaker) -> None:
    path, text = broken(('    item_no: "X-2"\n', ""))
    _, errors = parse_file(path)
    assert [(e.line, e.location, e.message) for e in errors] == [
        (line_of(text, "- code: hukou"), "items[1] (hukou)", "required key 'item_no' is missing")
    ]
    assert "add `item_no:` to this entry (The official item number" in errors[0].fix


def test_all_schema_errors_are_reported_not_just_the_first(broken: Breaker) -> None:
    path, text = broken(("mode: batch", "mode: fax"), ("statutory_days: 20", "statutory_days: twenty"))
    _, errors = parse_file(path)
    assert [e.line for e in errors] == [line_of(text, "statutory_days: twenty"), line_of(text, "mode: fax")]
    assert "use one of: 'standard_module', 'sync_rest', 'async_callback' or 'batch'" in errors[1].fix
    assert "whole number" in errors[0].fix


def test_bad_code_and_unquoted_number(broken: Breaker) -> None:
    path, text = broken(("- code: cert", "- code: Cert"), ('item_no: "X-3"', "item_no: 12"))
    _, errors = parse_file(path)
    assert errors[0].line == line_of(text, "- code: Cert")
    assert "lower-case letters" in errors[0].fix
    assert errors[1].line == line_of(text, "item_no: 12")
    assert "quotes" in errors[1].fix


def test_unquoted_yes_and_no_stay_text(broken: Breaker) -> None:
    # YAML 1.1 would turn these into booleans; the loader keeps them as option codes.
    path, _ = broken(
        ('- value: "yes"', "- value: yes"), ('- value: "no"', "- value: no"), ('default: "yes"', "default: yes")
    )
    thing, errors = parse_file(path)
    assert errors == []
    assert thing is not None
    assert [o.value for o in thing.questions[0].options] == ["yes", "no"]


def test_duplicate_yaml_key_is_an_error(broken: Breaker) -> None:
    path, text = broken(("    promised_days: 2\n", "    promised_days: 2\n    promised_days: 3\n"))
    _, errors = parse_file(path)
    assert len(errors) == 1
    assert errors[0].line == line_of(text, "promised_days: 3")
    assert f"first at line {line_of(text, 'promised_days: 2')}" in errors[0].message


def test_yaml_syntax_error_has_a_line(broken: Breaker) -> None:
    path, text = broken(("    outputs: [hukou_no]", "    outputs: [hukou_no"))
    _, errors = parse_file(path)
    assert len(errors) == 1
    assert errors[0].message.startswith("not valid YAML")
    assert errors[0].line is not None
    assert errors[0].line >= line_of(text, "outputs: [hukou_no")


def test_empty_and_unreadable_files(tmp_path: Path) -> None:
    empty = tmp_path / "empty.yaml"
    empty.write_text("", encoding="utf-8")
    assert "empty" in parse_file(empty)[1][0].message
    assert "cannot read" in parse_file(tmp_path / "missing.yaml")[1][0].message


def test_load_definition_raises_with_every_error(broken: Breaker) -> None:
    path, _ = broken(("mode: batch", "mode: fax"), ("promised_days: 5", "promised_days: 0"))
    with pytest.raises(CatalogError) as caught:
        load_definition(path)
    assert len(caught.value.errors) == 2
    assert "2 errors" in str(caught.value)
