"""A catalogue folder of our own (ONETHING_CATALOG_DIR): the package's definitions plus new ones."""

from __future__ import annotations

import shutil
from pathlib import Path

from one_things.catalog import CATALOG_DIR

TWINS = "newborn_twins"
TWINS_NAME = "双胞胎出生一件事"


def package_copy(folder: Path) -> Path:
    shutil.copytree(CATALOG_DIR, folder)
    return folder


def publish_copy(folder: Path, code: str, name_zh: str, *, edits: tuple[tuple[str, str], ...] = ()) -> Path:
    """The package's newborn.yaml under another code and name (with `edits` applied), written to `folder`."""
    text = (CATALOG_DIR / "newborn.yaml").read_text(encoding="utf-8")
    renamed = (("\ncode: newborn\n", f"\ncode: {code}\n"), ("  zh: 新生儿出生一件事\n", f"  zh: {name_zh}\n"))
    for old, new in (*renamed, *edits):
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    path = folder / f"{code}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def catalogue_with_twins(folder: Path) -> Path:
    """The package's definitions and one more, `newborn_twins`."""
    publish_copy(package_copy(folder), TWINS, TWINS_NAME)
    return folder
