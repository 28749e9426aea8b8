"""`onething departments ...`: the demo stubs (no subcommand, or `stubs`), the department registry, its callback
keys, and the conformance kit."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo

import typer
from sqlmodel import Session

from cli.db import require_current_schema
from cli.departments_conformance import conformance_command
from cli.things import _load_or_exit, _table
from core.settings import Settings, get_settings
from one_things.department_registry import Registry, check_against_catalog, parse_registry, registry_file
from one_things.loader import display_path
from services.department_keys import IssuedKey, issue_key, list_keys, rotate_key
from services.errors import ConflictError

_TZ = ZoneInfo("Asia/Shanghai")

departments_app = typer.Typer(
    help="Department systems: the registry (where and how each is reached), callback keys, the conformance kit; "
    "without a subcommand, run the demo stubs (development and tests).",
    invoke_without_command=True,
)
departments_app.command("conformance")(conformance_command)


@departments_app.callback()
def run_stubs(context: typer.Context) -> None:
    """Run the department stub back-ends (development and tests) when no subcommand is given."""
    if context.invoked_subcommand is not None:
        return
    stubs_command()


def _registry_or_exit() -> Registry:
    settings = get_settings()
    registry, errors = parse_registry(registry_file(settings))
    if registry is None:
        for error in errors:
            typer.echo(str(error), err=True)
        typer.echo("the department registry is invalid; run `onething departments check`", err=True)
        raise typer.Exit(1)
    return registry.with_stubs_url(settings.departments_url, str(settings.exchange_dir))


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


keys_app = typer.Typer(
    help="Callback keys: issued once (shown once), rotated with an overlap, stored sealed.", no_args_is_help=True
)
departments_app.add_typer(keys_app, name="keys")


@contextmanager
def _keys_session(code: str) -> Iterator[tuple[Session, Settings]]:
    """A committed session on the projection, for a department the registry knows."""
    from persistence.db import make_engine, session_scope

    registry = _registry_or_exit()
    if code not in registry.departments:
        typer.echo(f"department {code} is not in the registry; add it first (onething departments list)", err=True)
        raise typer.Exit(1)
    settings = get_settings()
    require_current_schema(settings)
    engine = make_engine(settings.projection_url)
    try:
        with session_scope(engine) as session:
            yield session, settings
    finally:
        engine.dispose()


def _show_once(issued: IssuedKey, output: Path | None) -> None:
    if output is not None:
        # For the department's own configuration (e.g. the demo stubs' file): never echoed to the terminal.
        output.touch(mode=0o600, exist_ok=True)
        known = json.loads(output.read_text(encoding="utf-8") or "{}")
        known[issued.department] = {"key_id": issued.key_id, "key": issued.key}
        output.write_text(json.dumps(known, indent=2), encoding="utf-8")
        typer.echo(f"{issued.department}: key {issued.key_id} written to {output}")
    else:
        typer.echo(f"key id: {issued.key_id}\nkey:    {issued.key}")
        typer.echo("Give both to the department now: the key is stored sealed and is never shown again.")
    if issued.others_expire_at is not None:
        until = issued.others_expire_at.astimezone(_TZ).strftime("%Y-%m-%d %H:%M")
        typer.echo(f"the department's earlier keys keep verifying until {until} (Asia/Shanghai)")


@keys_app.command("issue")
def issue_command(
    code: Annotated[str, typer.Argument(help="The department's code")],
    output: Annotated[Path | None, typer.Option(help="Write the key to this JSON file instead of showing it")] = None,
) -> None:
    """The department's first callback key (refused when it has one: rotate instead)."""
    with _keys_session(code) as (session, settings):
        try:
            issued = issue_key(session, settings, department=code, now=datetime.now(UTC))
        except ConflictError as error:
            typer.echo(error.detail, err=True)
            raise typer.Exit(1) from None
    _show_once(issued, output)


@keys_app.command("rotate")
def rotate_command(
    code: Annotated[str, typer.Argument(help="The department's code")],
    overlap_hours: Annotated[float, typer.Option(min=0, max=24 * 30, help="How long the old keys still verify")] = 24,
    output: Annotated[Path | None, typer.Option(help="Write the key to this JSON file instead of showing it")] = None,
) -> None:
    """A new callback key; the current ones keep verifying for the overlap, so no callback is refused."""
    with _keys_session(code) as (session, settings):
        now = datetime.now(UTC)
        issued = rotate_key(session, settings, department=code, now=now, overlap=timedelta(hours=overlap_hours))
    _show_once(issued, output)


@keys_app.command("list")
def keys_list_command(code: Annotated[str, typer.Argument(help="The department's code")]) -> None:
    """The department's keys by id (never the keys): current, in overlap (until when) or expired."""
    with _keys_session(code) as (session, _):
        keys = list_keys(session, department=code)
    now = datetime.now(UTC)
    rows: list[tuple[str, ...]] = [("key id", "issued", "state", "verifies until")]
    for key in keys:
        until = key.expires_at.astimezone(_TZ).strftime("%Y-%m-%d %H:%M") if key.expires_at else "-"
        rows.append((key.key_id, key.created_at.astimezone(_TZ).strftime("%Y-%m-%d %H:%M"), key.state(now), until))
    typer.echo(_table(rows) if keys else f"department {code} has no callback key; issue one")
