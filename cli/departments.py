"""`onething departments ...`: the department registry, its callback keys, and the demo stubs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from cli.things import _load_or_exit, _table
from core.settings import get_settings
from one_things.department_registry import Registry, check_against_catalog, parse_registry, registry_file
from one_things.loader import display_path

departments_app = typer.Typer(
    help="Department systems: the registry (where and how each is reached), callback keys, the demo stubs.",
    no_args_is_help=True,
)


def _registry_or_exit() -> Registry:
    settings = get_settings()
    registry, errors = parse_registry(registry_file(settings))
    if registry is None:
        for error in errors:
            typer.echo(str(error), err=True)
        typer.echo("the department registry is invalid; run `onething departments check`", err=True)
        raise typer.Exit(1)
    return registry.with_stubs_url(settings.departments_url)


@departments_app.command("stubs")
def stubs_command() -> None:
    """Run the department stub back-ends (development and tests): one implementation of the contract."""
    from departments.server import run_departments

    run_departments(get_settings())


@departments_app.command("list")
def list_command() -> None:
    """Every registered department: modes, base URL, outbound credentials."""
    registry = _registry_or_exit()
    rows: list[tuple[str, ...]] = [("code", "name", "modes", "base URL", "auth")]
    for code, connection in sorted(registry.departments.items()):
        modes = ",".join(mode.value for mode in connection.modes)
        auth = connection.auth.kind if connection.auth else "-"
        rows.append((code, connection.name.zh, modes, connection.base_url or "-", auth))
    typer.echo(_table(rows))
    if registry.unlisted is not None:
        typer.echo(f"unlisted departments: {registry.unlisted.base_url} (demo registry)")


@departments_app.command("show")
def show_command(code: Annotated[str, typer.Argument(help="The department's code, e.g. public_security")]) -> None:
    """One department's connection as the worker reads it (JSON; credentials are references, never values)."""
    registry = _registry_or_exit()
    try:
        connection = registry.connection(code)
    except LookupError as error:
        typer.echo(f"{error}; `onething departments list` shows the registered ones", err=True)
        raise typer.Exit(1) from None
    typer.echo(json.dumps({"code": code, **connection.model_dump(mode="json")}, ensure_ascii=False, indent=2))


@departments_app.command("check")
def check_command(
    path: Annotated[Path | None, typer.Argument(help="A registry file; default: the configured one")] = None,
) -> None:
    """Validate the registry (file:line and the fix) and check it gives every catalogue item a connection."""
    file = path or registry_file(get_settings())
    registry, errors = parse_registry(file)
    if registry is not None:
        catalog = _load_or_exit()
        text = file.read_text(encoding="utf-8")
        errors = check_against_catalog(registry, catalog.all(), path=display_path(file), root_text=text)
    for error in errors:
        typer.echo(str(error), err=True)
    if errors:
        typer.echo(f"{len(errors)} problem(s) in the department registry", err=True)
        raise typer.Exit(1)
    typer.echo(f"{display_path(file)}: {len(registry.departments) if registry else 0} departments, all good")
