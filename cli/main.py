"""The `onething` command. Each part's code is imported only when its command runs."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from cli.bench import bench_command
from cli.calendar import calendar_app
from cli.chaos import chaos_command
from cli.db import db_app, require_current_schema
from cli.departments import departments_app
from cli.sessions import sessions_app
from cli.things import example_command, things_app
from core.auth import Principal, Role, issue_token
from core.settings import get_settings

app = typer.Typer(help="onething: get one thing done for a citizen.", no_args_is_help=True)
app.add_typer(things_app, name="things")
app.add_typer(db_app, name="db")
app.add_typer(departments_app, name="departments")
app.add_typer(calendar_app, name="calendar")
app.add_typer(sessions_app, name="sessions")
app.command("example")(example_command)
app.command("chaos")(chaos_command)
app.command("bench")(bench_command)


ApiWorkers = Annotated[
    int | None,
    typer.Option(min=1, max=64, help="API processes on the one port (default: ONETHING_API_WORKERS, else 1)"),
]


def _set_api_workers(count: int | None) -> None:
    """As if ONETHING_API_WORKERS were set: the API's worker processes (and `dev`'s API part) read it too."""
    if count is not None:
        os.environ["ONETHING_API_WORKERS"] = str(count)
        get_settings.cache_clear()


@app.command()
def token(
    role: Annotated[Role, typer.Option(help="Who the token speaks for")],
    subject: Annotated[str, typer.Option(help="An opaque account id, never an ID number or a name")],
    department: Annotated[str | None, typer.Option(help="The department of a staff member")] = None,
    hours: Annotated[int, typer.Option(min=1, help="How long the token is valid")] = 12,
) -> None:
    """Print a bearer token for the embedded stack (development only: production refuses such tokens)."""
    settings = get_settings()
    if settings.environment == "production":
        raise typer.BadParameter("production accepts only the identity provider's tokens (docs/identity.md)")
    if role is Role.STAFF and not department:
        raise typer.BadParameter("staff tokens need --department (e.g. --department public_security)")
    principal = Principal(role=role, subject=subject, department=department)
    typer.echo(issue_token(settings.secret_key, principal, ttl_seconds=hours * 3600))


@app.command()
def dev(api_workers: ApiWorkers = None) -> None:
    """Run the whole stack: Temporal dev server, department stubs, worker and API, supervised."""
    from devstack.stack import run_dev_stack

    _set_api_workers(api_workers)
    run_dev_stack(get_settings())


@app.command()
def worker() -> None:
    """Run a Temporal worker (production: run as many as you need)."""
    from worker import run_worker

    settings = get_settings()
    require_current_schema(settings)
    run_worker(settings)


@app.command()
def api(api_workers: ApiWorkers = None) -> None:
    """Run the HTTP API and pages."""
    from api.server import run_api

    _set_api_workers(api_workers)
    settings = get_settings()
    require_current_schema(settings)
    run_api(settings)


@app.command()
def simulate(
    count: Annotated[int, typer.Option(min=1, max=5000, help="How many newborn applications")] = 300,
    weeks: Annotated[int, typer.Option(min=1, max=26, help="Over how many weeks of simulated time")] = 8,
    seed: Annotated[int, typer.Option(help="Seed of the simulated people's choices and delays")] = 1,
) -> None:
    """Demo data made by the real system: weeks of cases through the workflows, stubs and API (docs/simulation.md)."""
    import asyncio

    from simulation.runner import Plan, simulate
    from simulation.summary import summary_lines

    settings = get_settings()
    if settings.environment == "production":
        raise typer.BadParameter("simulate writes demo cases; run it only with ONETHING_ENVIRONMENT=development")
    require_current_schema(settings)
    typer.echo(f"simulate: {count} newborn applications over {weeks} weeks into {settings.projection_url}")
    outcome = asyncio.run(simulate(settings, Plan(count=count, weeks=weeks, seed=seed), echo=typer.echo))
    for line in summary_lines(outcome):
        typer.echo(line)


def main() -> None:
    app()
