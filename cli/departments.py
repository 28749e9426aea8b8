"""`onething departments`: run the stub back-ends (no subcommand), or work on department systems."""

from __future__ import annotations

import typer

from cli.departments_conformance import conformance_command
from core.settings import get_settings

departments_app = typer.Typer(
    help="Department systems: without a subcommand, run the department stub back-ends (development and tests).",
    invoke_without_command=True,
)
departments_app.command("conformance")(conformance_command)


@departments_app.callback()
def run_stubs(context: typer.Context) -> None:
    """Run the department stub back-ends (development and tests) when no subcommand is given."""
    if context.invoked_subcommand is not None:
        return
    from departments.server import run_departments

    run_departments(get_settings())
