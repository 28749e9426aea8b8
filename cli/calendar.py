"""`onething calendar ...`: the official holidays and make-up workdays (调休) the working-day calendar counts."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from pathlib import Path
from typing import Annotated

import typer

from core.calendar import package_schedule
from core.calendar_year import CalendarFileError, YearSchedule, store_year, stored_path, stored_years
from core.settings import get_settings

calendar_app = typer.Typer(
    help="The working-day calendar: load next year's official holidays and make-up workdays, show what is loaded.",
    no_args_is_help=True,
)


@calendar_app.command("load")
def load_command(
    file: Annotated[Path, typer.Argument(help="YAML or JSON of one year: year, days_off, workdays (docs/calendar.md)")],
) -> None:
    """Check a year's schedule and store it for the API and the workers; every error is printed as `file:line: ...`.

    Exit code 1 (nothing stored) on any error. Loading a year again replaces it. Workers read the calendar when
    they start: restart them after loading (the API counts the new days at once).
    """
    folder = get_settings().calendar_folder
    try:
        schedule = store_year(folder, file)
    except CalendarFileError as error:
        for problem in error.problems:
            typer.echo(str(problem), err=True)
        typer.echo(f"{file}: not loaded ({len(error.problems)} error(s))", err=True)
        raise typer.Exit(1) from None
    typer.echo(
        f"loaded {schedule.year}: {len(schedule.days_off)} days off, {len(schedule.workdays)} make-up workdays "
        f"-> {stored_path(folder, schedule.year)}; restart the workers so new deadlines count them"
    )


@calendar_app.command("show")
def show_command(
    year: Annotated[int | None, typer.Argument(help="The year to show; without it, the years loaded")] = None,
) -> None:
    """What the calendar counts for a year: the loaded file, else what the `holidays` package carries."""
    folder = get_settings().calendar_folder
    loaded = stored_years(folder)
    if year is None:
        if not loaded:
            typer.echo(f"no year loaded in {folder}")
        for schedule in loaded.values():
            typer.echo(f"{schedule.year}  {_summary(schedule)}")
        return
    stored = loaded.get(year)
    if stored is not None:
        schedule = stored
        source = f" ({schedule.source})" if schedule.source else ""
        typer.echo(f"{year}: loaded from {stored_path(folder, year)}{source}")
    else:
        days_off, workdays = package_schedule(year)
        schedule = YearSchedule(year, days_off, workdays)
        if workdays:
            typer.echo(f"{year}: not loaded; the installed holidays package carries its schedule")
        else:
            typer.echo(
                f"{year}: not loaded, and the holidays package knows only its statutory festivals (no make-up "
                "workdays): load the State Council's announcement with `onething calendar load FILE`"
            )
    typer.echo(f"days off ({len(schedule.days_off)}): {_runs(schedule.days_off)}")
    typer.echo(f"make-up workdays ({len(schedule.workdays)}): {_runs(schedule.workdays, weekday=True)}")


def _summary(schedule: YearSchedule) -> str:
    return f"{len(schedule.days_off)} days off, {len(schedule.workdays)} make-up workdays  {schedule.source}".rstrip()


def _runs(days: Iterable[date], *, weekday: bool = False) -> str:
    """Days as the announcement writes them: consecutive ones as FIRST..LAST."""
    ordered = sorted(days)
    if not ordered:
        return "none"
    runs: list[list[date]] = []
    for day in ordered:
        if runs and runs[-1][-1] + timedelta(days=1) == day:
            runs[-1].append(day)
        else:
            runs.append([day])
    shown = [f"{run[0]}..{run[-1]}" if len(run) > 1 else str(run[0]) for run in runs]
    if weekday:
        shown = [f"{text} ({run[0]:%a})" if len(run) == 1 else text for text, run in zip(shown, runs, strict=True)]
    return ", ".join(shown)
