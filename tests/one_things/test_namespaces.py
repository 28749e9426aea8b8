"""The registry of licence types and materials: a definition refers to them by code and cannot rename them."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.things import things_app
from one_things.catalog import load_catalog
from one_things.licence_names import licence_name
from one_things.problems import CatalogError
from one_things.registry import REGISTRY_FILE
from tests.one_things.conftest import line_of
from tests.support.catalog import package_copy, publish_copy

runner = CliRunner()
MARRIAGE = "  - code: marriage_certificate\n"
RENAMED = MARRIAGE + "    name: {zh: 婚书, en: Marriage deed}\n"


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return package_copy(tmp_path / "catalog")


def validate(*paths: Path) -> tuple[int, str]:
    result = runner.invoke(things_app, ["validate", *map(str, paths)])
    return result.exit_code, result.output


def test_a_new_file_renaming_the_marriage_certificate_is_refused_on_its_line(folder: Path) -> None:
    path = publish_copy(folder, "wedding_gift", "婚礼一件事", edits=((MARRIAGE, RENAMED),))
    code, output = validate(folder)
    assert code == 1, output
    line = line_of(path.read_text(encoding="utf-8"), "name: {zh: 婚书")
    registry_line = line_of((folder / REGISTRY_FILE).read_text(encoding="utf-8"), "code: marriage_certificate")
    assert f"catalog/wedding_gift.yaml:{line}: materials[" in output
    assert "(marriage_certificate): would rename 'marriage_certificate' for every one-thing" in output
    assert f"the registry (catalog/{REGISTRY_FILE}:{registry_line}) names it 结婚证 / Marriage certificate" in output
    assert "fix: remove `name:` here (the registry's name is used)" in output
    definitions = len([p for p in folder.glob("*.yaml") if not p.name.startswith("_")])
    assert f"{definitions} file(s) checked, 1 with errors, 1 error(s) in all" in output
    with pytest.raises(CatalogError):  # and a running platform does not publish it
        load_catalog(folder)


def test_the_same_file_validates_alone_against_the_package_registry(tmp_path: Path) -> None:
    """A draft outside any catalogue folder is checked against the registry every process reads."""
    path = publish_copy(tmp_path, "wedding_gift", "婚礼一件事", edits=((MARRIAGE, RENAMED),))
    code, output = validate(path)
    assert code == 1
    assert "would rename 'marriage_certificate'" in output


def test_a_name_left_out_is_the_registrys_and_one_equal_to_it_is_accepted(folder: Path) -> None:
    same = MARRIAGE + "    name: {zh: 结婚证, en: Marriage certificate}\n"
    publish_copy(folder, "wedding_gift", "婚礼一件事", edits=((MARRIAGE, same),))
    catalog = load_catalog(folder)
    names = {m.code: m.name.zh for t in catalog.all() for m in t.materials}
    assert names["marriage_certificate"] == "结婚证"
    assert names["household_register"] == "户口簿"  # written nowhere in the definitions but the registry


def test_an_unknown_material_is_refused_with_the_nearest_registered_code(folder: Path) -> None:
    path = publish_copy(folder, "wedding_gift", "婚礼一件事", edits=((MARRIAGE, "  - code: marriage_certificat\n"),))
    code, output = validate(folder)
    line = line_of(path.read_text(encoding="utf-8"), "code: marriage_certificat")
    assert code == 1
    assert f"wedding_gift.yaml:{line}: materials[" in output
    assert "licence type 'marriage_certificat' is not in the registry of licences and materials" in output
    assert "fix: did you mean 'marriage_certificate'? Otherwise add `- code: marriage_certificat`" in output


def test_a_licence_prefill_must_name_a_registered_licence_type(folder: Path) -> None:
    prefill = ("    prefill: licence_library.marriage_certificate\n", "    prefill: licence_library.marriage_cert\n")
    path = publish_copy(folder, "wedding_gift", "婚礼一件事", edits=(prefill,))
    code, output = validate(folder)
    line = line_of(path.read_text(encoding="utf-8"), "licence_library.marriage_cert")
    assert code == 1
    assert f"wedding_gift.yaml:{line}: form[" in output
    assert "prefill names 'marriage_cert', which is not a licence type — fix: did you mean 'marriage_certificate'?" in (
        output
    )


def test_a_material_is_not_a_licence_the_library_holds(folder: Path) -> None:
    photo = "  - code: newborn_photo\n    source: "
    edits = ((photo + "citizen\n", photo + "licence_library\n"),)
    publish_copy(folder, "wedding_gift", "婚礼一件事", edits=edits)
    code, output = validate(folder)
    assert code == 1
    assert "'newborn_photo' is a material in the registry, not a licence type the licence library holds" in output


def test_the_registry_refuses_a_code_registered_twice(folder: Path) -> None:
    registry = folder / REGISTRY_FILE
    text = registry.read_text(encoding="utf-8")
    registry.write_text(text + "  - code: marriage_certificate\n    name: {zh: 婚书, en: Deed}\n", encoding="utf-8")
    code, output = validate(folder)
    assert code == 1
    last = len(registry.read_text(encoding="utf-8").splitlines()) - 1
    assert f"{REGISTRY_FILE}:{last}: materials[" in output
    assert "code 'marriage_certificate' is registered twice" in output
    assert "not checked: the registry of licences and materials" in output


def test_a_licence_is_named_by_the_registry_or_its_own_one_thing_never_another(folder: Path) -> None:
    # Two one-things with an item `social_security_card`: each case's result keeps its own thing's name.
    catalog = load_catalog(folder)
    assert licence_name(catalog, kind="marriage_certificate", thing=None).zh == "结婚证"
    assert licence_name(catalog, kind="social_security_card", thing="newborn").zh == "社会保障卡"
    hiring = catalog.get("employee_hiring").item("social_security_card").name.zh
    assert licence_name(catalog, kind="social_security_card", thing="employee_hiring").zh == hiring
    assert hiring != "社会保障卡"
