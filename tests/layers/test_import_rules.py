"""The import contracts bite: a copy of the tree with one cross-layer import added breaks the rule it should.

Each case runs the real `lint-imports` with the project's own configuration on a copy of the packages, so the
test fails if a contract is loosened until it no longer catches what it names, or if the tree breaks one.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CONFIG = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
NAMES = {contract["id"]: contract["name"] for contract in CONFIG["contracts"]}
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def lint_imports(cwd: Path) -> dict[str, str]:
    """Each contract's id and what lint-imports said of it: KEPT or BROKEN."""
    # Wide columns: a long contract name must not wrap away from its verdict.
    env = {**os.environ, "COLUMNS": "500"}
    done = subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )
    lines = done.stdout.splitlines()
    verdicts: dict[str, str] = {}
    for contract, name in NAMES.items():
        said = [line.removeprefix(f"{name} ").split()[0] for line in lines if line.startswith(f"{name} ")]
        assert said, f"lint-imports said nothing of {name!r}:\n{done.stdout}{done.stderr}"
        verdicts[contract] = said[0]
    assert (done.returncode == 0) == all(verdict == "KEPT" for verdict in verdicts.values()), done.stdout
    return verdicts


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """The packages and the configuration, copied; lint-imports puts its working directory first on sys.path."""
    for package in CONFIG["root_packages"]:
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    return tmp_path


def test_every_package_of_the_product_is_checked() -> None:
    """A new top-level package (services/, say) joins root_packages, or no contract sees inside it."""
    packages = {init.parent.name for init in ROOT.glob("*/__init__.py")}
    assert packages - {"tests", "benchmarks"} == set(CONFIG["root_packages"])


def test_the_tree_keeps_every_contract() -> None:
    assert set(lint_imports(ROOT).values()) == {"KEPT"}


def test_the_copy_keeps_every_contract(tree: Path) -> None:
    """So a broken contract below comes from the added import, not from the copying."""
    assert set(lint_imports(tree).values()) == {"KEPT"}


@pytest.mark.parametrize(
    ("module", "added", "broken"),
    [
        ("activities/projection.py", "import api.problems", {"activities", "layers"}),
        ("activities/projection.py", "import departments.store", {"activities", "layers"}),
        ("workflows/policies.py", "import persistence.db", {"workflows"}),
        ("workflows/policies.py", "import httpx", {"workflows"}),
        ("workflows/policies.py", "from core.clock import now", {"workflows"}),
        # Not through an activity: the workflows contract follows the chain workflows → one_things → httpx.
        ("one_things/schema.py", "import httpx", {"workflows"}),
        ("core/ids.py", "import workflows.contracts", {"core", "layers"}),
        ("one_things/plan.py", "import workflows.contracts", {"one_things", "layers"}),
        ("persistence/tables.py", "import api.schemas", {"persistence", "layers"}),
        ("departments/store.py", "import persistence.db", {"departments"}),
        ("api/deps.py", "import cli.main", {"layers"}),
    ],
)
def test_a_cross_layer_import_breaks_its_contract(tree: Path, module: str, added: str, broken: set[str]) -> None:
    path = tree / module
    path.write_text(f"{path.read_text()}\n{added}\n")
    verdicts = lint_imports(tree)
    # At least these: a chain through the edited module may break a contract of a layer below it too.
    assert broken <= {contract for contract, verdict in verdicts.items() if verdict == "BROKEN"}
