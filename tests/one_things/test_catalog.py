from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from one_things.catalog import (
    CatalogError,
    critical_path_days,
    dependency_order,
    load_catalog,
    sequential_days,
)
from one_things.schema import OneThing
from tests.one_things.conftest import MINI, Breaker


def test_default_catalogue_has_newborn() -> None:
    catalog = load_catalog()
    assert "newborn" in catalog.codes()
    assert catalog.get("newborn").version == 4  # v3: who may apply (the parents); v4: the choices named
    assert [thing.code for thing in catalog.all()] == sorted(thing.code for thing in catalog.all())


def test_unknown_code_is_a_key_error_naming_known_codes() -> None:
    with pytest.raises(KeyError, match=r"known: .*newborn"):
        load_catalog().get("wedding")


def test_a_bad_file_fails_the_whole_catalogue_with_all_errors(broken: Breaker, tmp_path: Path) -> None:
    broken(("promised_days: 5", "promised_days: 50"), ("department: health", "department: hospital"))
    with pytest.raises(CatalogError) as caught:
        load_catalog(tmp_path)
    assert len(caught.value.errors) == 2
    assert all(str(error).startswith("mini.yaml:") for error in caught.value.errors)


def test_two_files_with_one_code(broken: Breaker, tmp_path: Path) -> None:
    broken()
    broken(name="mini_copy.yaml")
    with pytest.raises(CatalogError) as caught:
        load_catalog(tmp_path)
    [error] = caught.value.errors
    assert str(error).startswith("mini_copy.yaml:1: code: one-thing code 'mini' is also used by mini.yaml")


def test_folder_of_valid_files_loads(broken: Breaker, tmp_path: Path) -> None:
    broken()
    broken(("code: mini", "code: other"), name="other.yml")
    assert load_catalog(tmp_path).codes() == ["mini", "other"]


def test_newborn_critical_path_fits_the_seed_20_days(newborn: OneThing) -> None:
    everything = {item.code for item in newborn.items}
    # 20 calendar days ≈ 15 working days at most (and 14 here: 2 + 5 + 7).
    assert critical_path_days(newborn, everything) <= 15
    assert critical_path_days(newborn, everything) == 14
    assert sequential_days(newborn, everything) == 22


def test_parallel_items_overlap(newborn: OneThing) -> None:
    assert critical_path_days(newborn, {"birth_certificate", "vaccination_certificate"}) == 3
    assert sequential_days(newborn, {"birth_certificate", "vaccination_certificate"}) == 5
    assert critical_path_days(newborn, set()) == 0


def test_dependency_order(newborn: OneThing) -> None:
    order = dependency_order(newborn)
    assert order.index("birth_certificate") < order.index("hukou_registration") < order.index("medical_insurance")
    assert dependency_order(newborn, {"hukou_registration", "medical_insurance"}) == [
        "hukou_registration",
        "medical_insurance",
    ]


def test_dependency_order_refuses_a_cycle() -> None:
    looped = MINI.replace("    inputs:\n      child", "    depends_on: [card]\n    inputs:\n      child")
    data = yaml.safe_load(looped)
    data["materials"][0]["name"] = {"zh": "照片", "en": "Photo"}  # the loader would take it from the registry
    thing = OneThing.model_validate(data)
    with pytest.raises(ValueError, match="cycle"):
        dependency_order(thing)
