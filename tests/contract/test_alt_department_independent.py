"""The second department implementation proves the contract only if it shares nothing with ours: it may
import the standard library, FastAPI, pydantic and httpx, and its own modules, never the platform's or
the stubs' code (not even core.signing: it signs as the guide says)."""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

ALT = Path(__file__).parents[1] / "support" / "alt_department"
PYPROJECT = Path(__file__).parents[2] / "pyproject.toml"


def imported_roots(path: Path) -> set[str]:
    roots = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(
                node.module if node.module.startswith("tests.support.alt_department") else node.module.split(".")[0]
            )
    return roots


def test_the_alt_department_imports_none_of_our_code() -> None:
    ours = set(tomllib.loads(PYPROJECT.read_text())["tool"]["importlinter"]["root_packages"]) | {"worker"}
    modules = sorted(ALT.glob("*.py"))
    assert len(modules) >= 3
    for module in modules:
        roots = imported_roots(module)
        assert not roots & ours, f"{module.name} imports {sorted(roots & ours)}"
        foreign_tests = {
            root for root in roots if root == "tests" or (root.startswith("tests.") and "alt_department" not in root)
        }
        assert not foreign_tests, f"{module.name} imports test code other than its own: {foreign_tests}"
