"""`onething things new CODE`: write a commented, already valid definition for department staff to fill in."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from one_things.catalog import catalog_files, catalog_folder, check_files
from one_things.jsonschema import SCHEMA_PATH
from one_things.loader import display_path
from one_things.scaffold import code_problem, scaffold
from one_things.schema import ApplicantKind, IntegrationMode

_CLERK_QUESTION = (
    "Is the first item handled by a clerk of the department, in the platform's own queue "
    "(事项由部门工作人员在平台标准办理模块中办理)? Answer n if the department's own system handles it"
)
_SYSTEM_QUESTION = (
    "How is the department's system connected? sync_rest = it answers at once; async_callback = it answers "
    "later with a signed callback; batch = data pipeline (files)"
)
_SYSTEM_MODES = [mode.value for mode in IntegrationMode if mode is not IntegrationMode.STANDARD_MODULE]


def _interactive() -> bool:
    return sys.stdin.isatty()


def _ask_mode() -> IntegrationMode:
    """Asked, not assumed: a clerk-handled item waits for a person, a system's item does not."""
    if not _interactive():
        return IntegrationMode.STANDARD_MODULE  # scripted: the file's comments explain how to change it
    if typer.confirm(_CLERK_QUESTION, default=True):
        return IntegrationMode.STANDARD_MODULE
    # Checked here rather than with click.Choice: typer's prompt (its own vendored click) cannot take a type
    # from the click package, which is what made this question fail before anyone could answer it.
    while (answer := str(typer.prompt(_SYSTEM_QUESTION)).strip()) not in _SYSTEM_MODES:
        typer.echo(f"answer one of: {', '.join(_SYSTEM_MODES)}")
    return IntegrationMode(answer)


def _codes_in_catalogue() -> dict[str, Path]:
    # Only files that parse have a code; a broken catalogue file cannot claim one.
    results, _ = check_files(catalog_files([catalog_folder()]))
    return {result.thing.code: result.path for result in results if result.thing is not None}


def _schema_ref(target: Path) -> str:
    """The schema's path as the editor resolves it: relative to the folder of the new file."""
    return Path(os.path.relpath(SCHEMA_PATH, target.resolve().parent)).as_posix()


def new_command(
    code: Annotated[str, typer.Argument(help="The new one-thing's code, e.g. business_change")],
    applicant: Annotated[
        ApplicantKind, typer.Option(help="Who applies: a natural person or a legal person (enterprise)")
    ] = ApplicantKind.PERSON,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Where to write the file", show_default="./CODE.yaml")
    ] = None,
    mode: Annotated[
        IntegrationMode | None,
        typer.Option(help="How the first item is handled; asked when not given (standard_module when not asked)"),
    ] = None,
) -> None:
    """Write a commented definition to fill in; it is valid as written and never overwrites a file."""
    problem = code_problem(code)
    if problem is not None:
        typer.echo(f"cannot create '{code}': {problem}", err=True)
        raise typer.Exit(2)
    existing = _codes_in_catalogue().get(code)
    if existing is not None:
        typer.echo(
            f"the catalogue already has a one-thing '{code}' ({display_path(existing)}); "
            "choose another code, or edit that file and raise its version",
            err=True,
        )
        raise typer.Exit(1)
    target = output or Path(f"{code}.yaml")
    if not target.parent.is_dir():
        typer.echo(
            f"the folder {display_path(target.parent)} does not exist; create it first or pick another", err=True
        )
        raise typer.Exit(1)
    mode = mode or _ask_mode()
    text = scaffold(code, applicant, schema_ref=_schema_ref(target), file_name=display_path(target), mode=mode)
    try:
        with target.open("x", encoding="utf-8") as file:  # "x": fail rather than overwrite someone's work
            file.write(text)
    except FileExistsError:
        typer.echo(
            f"{display_path(target)} already exists; nothing was written. "
            "Pick another file with --output, or delete the old one first",
            err=True,
        )
        raise typer.Exit(1) from None
    shown = display_path(target)
    typer.echo(f"wrote {shown}: replace every 待填写 / TODO, then check it with `onething things validate {shown}`")
    if mode is IntegrationMode.STANDARD_MODULE:
        typer.echo(
            "its item is clerk-handled: staff decide it in the platform's queue (in the embedded stack the stubs'"
            " auto-clerk does, for departments the registry marks auto_clerk or does not list)"
        )
    else:
        typer.echo("its item goes to the department's system: add the department to the registry (docs/departments.md)")
